import { expect, type Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';

/** The WCAG 2.0 and 2.1 rules, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Scans the page as it is now with axe-core and fails listing every WCAG 2 A/AA violation:
 * its rule id, impact, help text and the selectors of the elements that break it.
 * `what` names the page or state in the failure message.
 */
export async function expectNoAxeViolations(page: Page, what?: string) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const lines = results.violations.map((v) => {
    const targets = v.nodes.map((n) => `    ${n.target.map(String).join(' >> ')}`);
    return `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help} — ${v.nodes.length} element(s)\n${targets.join('\n')}`;
  });
  expect(lines, `axe-core WCAG 2 A/AA violations on ${what ?? page.url()}:\n${lines.join('\n')}`).toEqual([]);
}
