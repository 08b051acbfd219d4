import { type Locator, type Page } from '@playwright/test';

/** The queue's call statistics, `/queue/stats`. */
export class QueueStatsPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/queue/stats');
  }

  figure(name: 'received' | 'answered' | 'abandoned' | 'wait' | 'in-time' | 'talk'): Locator {
    return this.page.getByTestId(`stat-${name}`);
  }

  async count(name: 'received' | 'answered' | 'abandoned'): Promise<number> {
    return Number((await this.figure(name).innerText()).trim().split(/\s/)[0]);
  }

  hourChart(): Locator {
    return this.page.getByTestId('hour-chart');
  }

  historyChart(): Locator {
    return this.page.getByTestId('history-chart');
  }

  agent(iface: string): Locator {
    return this.page.locator(`[data-testid=agent-row][data-interface="${iface}"]`);
  }
}
