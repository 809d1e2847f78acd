/**
 * The Erlang C what-if both ways: a target gives the agents needed, a number of agents gives
 * service level, ASA, probability of waiting and occupancy; too few agents is said to be
 * unstable; the server's field-named refusal is shown as it is.
 */
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ManagerApi } from './api.ts';
import WhatIf from './WhatIf.svelte';

function fakeApi(answer: (query: URLSearchParams) => { status: number; body: unknown }) {
  const queries: URLSearchParams[] = [];
  const fetchFn = async (path: string) => {
    const query = new URLSearchParams(path.split('?')[1]);
    queries.push(query);
    const { status, body } = answer(query);
    return new Response(JSON.stringify(body), { status });
  };
  return { api: new ManagerApi('', fetchFn as unknown as typeof fetch), queries };
}

const field = (name: string) => document.querySelector(`[data-field="${name}"]`);

describe('what-if calculator', () => {
  it('turns calls, AHT, threshold and a target into agents needed', async () => {
    // The fake server answers with Erlang C's figures for 20 Erlangs and 26 agents (P(wait) 14.3 %, ASA 3 s).
    const { api, queries } = fakeApi(() => ({ status: 200, body: { agents: 26, serviceLevel: 0.9178, asaSec: 2.97, pWait: 0.1431, occupancy: 20 / 26, trafficErlangs: 20, stable: true } }));
    render(WhatIf, { api, lang: 'en' });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Calls per hour' }), { target: { value: '400' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Avg handle time (s)' }), { target: { value: '180' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'SL threshold (s)' }), { target: { value: '20' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Target service level (%)' }), { target: { value: '80' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Calculate' }));
    await screen.findByTestId('what-if-result');
    expect(Object.fromEntries(queries[0])).toEqual({ callsPerHour: '400', ahtSec: '180', thresholdSec: '20', targetSl: '0.8' });
    expect(field('agents')).toHaveTextContent('26');
    expect(field('serviceLevel')).toHaveTextContent('91.8%');
    expect(field('asaSec')).toHaveTextContent('3s');
    expect(field('pWait')).toHaveTextContent('14.3%');
    expect(field('occupancy')).toHaveTextContent('76.9%');
    expect(screen.getByText('Traffic 20.0 Erlangs')).toBeInTheDocument();
  });

  it('turns a number of agents into service level, and says when they cannot keep up', async () => {
    const { api, queries } = fakeApi((q) =>
      q.get('agents') === '20'
        ? { status: 200, body: { agents: 20, serviceLevel: 0, asaSec: null, pWait: 1, occupancy: 1, trafficErlangs: 20, stable: false } }
        : { status: 200, body: { agents: 30, serviceLevel: 0.99, asaSec: 0.4, pWait: 0.03, occupancy: 0.667, trafficErlangs: 20, stable: true } },
    );
    render(WhatIf, { api, lang: 'zh-CN', initial: { callsPerHour: 400, ahtSec: 180, thresholdSec: 20 } });
    await fireEvent.click(screen.getByRole('radio', { name: '求服务水平' }));
    await fireEvent.input(screen.getByRole('textbox', { name: '坐席数' }), { target: { value: '20' } });
    await fireEvent.click(screen.getByRole('button', { name: '计算' }));
    await screen.findByTestId('what-if-result');
    expect(Object.fromEntries(queries[0])).toEqual({ callsPerHour: '400', ahtSec: '180', thresholdSec: '20', agents: '20' });
    expect(field('serviceLevel')).toHaveTextContent('0.0%');
    expect(field('asaSec')).toHaveTextContent('∞');
    expect(screen.getByRole('status')).toHaveTextContent('坐席数不超过话务量');

    await fireEvent.input(screen.getByRole('textbox', { name: '坐席数' }), { target: { value: '30' } });
    await fireEvent.click(screen.getByRole('button', { name: '计算' }));
    await screen.findByText('99.0%');
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('shows the server’s field-named error for nonsense', async () => {
    const { api, queries } = fakeApi(() => ({ status: 400, body: { error: 'ahtSec: must be an average handle time in seconds above 0, at most 86400' } }));
    render(WhatIf, { api, lang: 'en' });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Avg handle time (s)' }), { target: { value: '-5' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Calculate' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('ahtSec: must be an average handle time in seconds above 0, at most 86400');
    expect(queries[0].get('ahtSec')).toBe('-5');
    expect(screen.queryByTestId('what-if-result')).toBeNull();
  });
});
