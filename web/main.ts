import { mount } from 'svelte';
import App from './App.svelte';
import { pageFor } from './pages.ts';
import { watchOrg } from './lib/org.svelte.ts';
import './lib/theme.css';

const target = document.getElementById('app')!;
const page = pageFor(window.location.pathname);
// The org directory's names for every page that shows sites, queues, teams or channels: with the
// page's `?token=` (a wallboard's display link) or the session cookie. Not before signing in.
if (!/^\/signin\/?$/.test(window.location.pathname)) watchOrg(new URLSearchParams(window.location.search).get('token'));
if (page === 'wallboard') {
  mount(App, { target });
} else {
  void page().then((module) => mount(module.default, { target }));
}
