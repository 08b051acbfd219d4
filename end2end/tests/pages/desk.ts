import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { hydrated } from './login';
import { Shell } from './shell';

/** Posts a ringing call as the PBX does (a form with a pbx token); returns the call's id. */
export async function ring(request: APIRequestContext, token: string, ext: string, phone: string, callid?: string) {
  const form: Record<string, string> = { ext, phone };
  if (callid) form.callid = callid;
  const res = await request.post('/api/pbx/ringing', { form, headers: { Authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const body = await res.json();
  return body as { result: string; call: number };
}

/** The desk: the live card of the call ringing my extension. */
export class DeskPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/desk');
    await hydrated(this.page);
    await new Shell(this.page).expectLive();
  }

  card() {
    return this.page.getByTestId('card');
  }

  phone() {
    return this.page.getByTestId('card-phone');
  }

  noCall() {
    return this.page.getByTestId('no-call');
  }

  alerts() {
    return this.page.getByTestId('alerts');
  }

  contracts() {
    return this.page.getByTestId('contracts');
  }

  earlier() {
    return this.page.getByTestId('earlier');
  }

  async lock() {
    await this.page.getByLabel('Lock this card (the next call waits)').check();
  }

  async showWaiting() {
    await this.page.getByTestId('show-waiting').click();
  }

  /** The unknown-number form: a new contact with the call's number. */
  async newContact(name: string) {
    const form = this.page.getByRole('form', { name: 'New contact' });
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'New contact' }).click();
  }
}
