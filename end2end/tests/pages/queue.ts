import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { PBXSIM_CONTROL, PBXSIM_SECRET } from '../../playwright.config';

/** The live queue console, `/queue`. */
export class QueuePage {
  constructor(readonly page: Page) {}

  summary(): Locator {
    return this.page.getByTestId('queue-summary');
  }

  member(iface: string): Locator {
    return this.page.locator(`[data-testid=member][data-interface="${iface}"]`);
  }

  async pause(iface: string, name: string, reason: string) {
    const row = this.member(iface);
    await row.getByLabel(`Reason to pause ${name}`).fill(reason);
    await row.getByRole('button', { name: 'Pause' }).click();
  }

  async resume(iface: string) {
    await this.member(iface).getByRole('button', { name: 'Resume' }).click();
  }

  log(): Locator {
    return this.page.getByTestId('queue-log');
  }

  /** Adds a person (as the select shows them: "Name (extension)") for the rest of the turn. */
  async addMember(label: string) {
    const form = this.page.getByTestId('add-member');
    await form.getByLabel('Add for the rest of the turn').selectOption({ label });
    await form.getByRole('button', { name: 'Add' }).click();
  }

  async remove(iface: string) {
    await this.member(iface).getByRole('button', { name: /^Remove / }).click();
  }

  /** The buttons of a member's row (pause, resume, remove): none for someone who may not steer it. */
  controls(iface: string): Locator {
    return this.member(iface).getByRole('button');
  }
}

/** The simulated PBX's side (its control interface): what a PBX would do on its own. */
export class Pbxsim {
  constructor(readonly request: APIRequestContext) {}

  private async post(path: string, data: object) {
    const res = await this.request.post(`${PBXSIM_CONTROL}${path}`, {
      headers: { Authorization: `Bearer ${PBXSIM_SECRET}` },
      data,
    });
    expect(res.status(), `${path}: ${await res.text()}`).toBeLessThan(300);
    return res.json();
  }

  /** A member configured in the PBX itself. */
  addMember(queue: string, iface: string, name: string) {
    return this.post('/pbxsim/members', { queue, interface: iface, name });
  }

  phone(ext: string, change: { registered?: boolean; answers?: boolean }) {
    return this.post(`/pbxsim/phones/${ext}`, change);
  }

  caller(queue: string, number: string) {
    return this.post('/pbxsim/callers', { queue, number });
  }
}
