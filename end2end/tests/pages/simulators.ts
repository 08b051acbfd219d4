import { expect, type Page } from '@playwright/test';
import { hydrated } from './login';

/** `/simulators` (admins): the chat simulator's messages, the chat log, telsim's calls, pbxsim's queues. */
export class SimulatorsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/simulators');
    await hydrated(this.page);
  }

  chatMessages() {
    return this.page.getByTestId('chatsim-messages');
  }

  chatLog() {
    return this.page.getByTestId('chat-log');
  }

  pbx() {
    return this.page.getByRole('region', { name: 'PBX simulator: queues' });
  }

  telsim() {
    return this.page.getByRole('region', { name: 'Telephony simulator: recent calls' });
  }

  /** Says `text` as Switchboard from the box on the page. */
  async say(text: string) {
    await this.page.getByLabel('Message to the team chat (at most 1000 characters)').fill(text);
    await this.page.getByRole('button', { name: 'Send to the chat' }).click();
    await expect(this.page.getByRole('status')).toContainText('was sent');
  }
}
