import { expect, type Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';

/** The WCAG 2.0 and 2.1 rules, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;

/**
 * Scans the page as it is now with axe-core and fails listing every WCAG 2 A/AA violation:
 * its rule id, impact, help text, and per element the target selector, the markup and why
 * (for contrast: the colours and the ratio). `what` names the page or state in the message.
 *
 * The check is soft: the test goes on to its next pages and states, and fails at its end with
 * every page's violations listed. With `AXE_REPORT_ONLY=1` the violations are printed and
 * nothing fails (to survey the pages). Returns axe's results for extra checks.
 */
export async function expectNoAxeViolations(page: Page, what?: string): Promise<AxeResults> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const lines = results.violations.map((v) => {
    const targets = v.nodes.map((n) => {
      const why = [...n.any, ...n.all, ...n.none].map((c) => c.message).filter(Boolean)[0];
      return `    ${n.target.map(String).join(' >> ')}  ${n.html.slice(0, 100)}${why ? `\n      ${why}` : ''}`;
    });
    return `${v.id} (${v.impact ?? 'unknown impact'}): ${v.help} — ${v.nodes.length} element(s)\n${targets.join('\n')}`;
  });
  const where = what ?? page.url();
  if (process.env.AXE_REPORT_ONLY) {
    const counts = results.violations.map((v) => `${v.id}×${v.nodes.length}`).join(', ') || 'none';
    console.log(`AXE ${where}: ${counts}\n${lines.join('\n')}`);
  } else {
    expect.soft(lines, `axe-core WCAG 2 A/AA violations on ${where}:\n${lines.join('\n')}`).toEqual([]);
  }
  return results;
}
