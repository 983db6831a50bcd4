import { test as base, expect, type Locator, type Page, type Response } from '@playwright/test';

/** Password shared by every demo account. */
export const DEMO_PASSWORD = 'infradesk-demo';

/** Links that may appear in `<nav aria-label="Main">`, in the order the app shows them. */
export const NAV_LINKS = ['Home', 'New request', 'Requests', 'Queue', 'Audit', 'Admin', 'Account'] as const;
export type NavLink = (typeof NAV_LINKS)[number];

export interface DemoAccount {
  login: string;
  /** Member of a reviewing team (may open /queue). */
  reviewer: boolean;
  /** Has the admin flag (may open /admin). */
  admin: boolean;
  /** Member of any team (may request: "New request" is shown). */
  requester: boolean;
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { login: 'dev', reviewer: false, admin: false, requester: true }, // team payments, requester
  { login: 'sre', reviewer: true, admin: false, requester: true }, // reviewing team sre, requester + reviewer
  { login: 'dba', reviewer: true, admin: false, requester: true }, // reviewing team dba
  { login: 'admin', reviewer: false, admin: true, requester: false }, // admin flag only, no teams
];

/** The nav links an account must see, in display order. */
export function expectedNavLinks(account: DemoAccount): NavLink[] {
  return NAV_LINKS.filter(
    (link) =>
      (link !== 'Queue' || account.reviewer) &&
      (link !== 'Audit' || account.reviewer || account.admin) &&
      (link !== 'Admin' || account.admin) &&
      (link !== 'New request' || account.requester),
  );
}

/**
 * `test` with one extra check: an uncaught exception in the page (a wasm panic
 * during hydration, say) fails the test even if every assertion passed.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
    await use(page);
    expect(errors, 'uncaught exceptions in the page').toEqual([]);
  },
});

export { expect };

/** Path part of the page's current URL. */
export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** Wait until the wasm bundle has hydrated the current document. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator('html'), 'the page should hydrate').toHaveAttribute(
    'data-hydrated',
    'true',
    { timeout: 20_000 },
  );
}

/** `page.goto` followed by waiting for hydration; returns the (final) document response. */
export async function gotoHydrated(page: Page, path: string): Promise<Response> {
  const response = await page.goto(path);
  expect(response, `no response for ${path}`).not.toBeNull();
  await waitForHydration(page);
  return response as Response;
}

/** Fill in and submit the login form (the login page must already be open and hydrated). */
export async function submitLoginForm(page: Page, login: string, password: string): Promise<void> {
  await page.getByLabel('Login', { exact: true }).fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Sign in through the login form and wait for the hydrated home page. */
export async function signIn(page: Page, login: string, password: string = DEMO_PASSWORD): Promise<void> {
  await gotoHydrated(page, '/login');
  await submitLoginForm(page, login, password);
  await page.waitForURL((url) => url.pathname === '/');
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Welcome');
}

/** Click "Sign out" in the header and wait for the hydrated login page. */
export async function signOut(page: Page): Promise<void> {
  await page.locator('header').getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/login');
  await waitForHydration(page);
}

/** The main navigation landmark. */
export function mainNav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Main', exact: true });
}

/** Trimmed texts of every link in the main navigation, in document order. */
export async function navLinkTexts(page: Page): Promise<string[]> {
  const texts = await mainNav(page).getByRole('link').allTextContents();
  return texts.map((text) => text.trim());
}

/** Assert that `container` shows `text` as a whole string (a table cell, say). */
export async function expectExactText(container: Locator, text: string): Promise<void> {
  await expect(container.getByText(text, { exact: true }).first(), `"${text}" should be listed`).toBeVisible();
}
