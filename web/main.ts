import { mount } from 'svelte';
import App from './App.svelte';
import { pageFor } from './pages.ts';
import './lib/theme.css';

const target = document.getElementById('app')!;
const page = pageFor(window.location.pathname);
if (page === 'wallboard') {
  mount(App, { target });
} else {
  void page().then((module) => mount(module.default, { target }));
}
