// The contract between the Infradesk app and its browser: demo accounts,
// per-role navigation and access to /queue and /admin, the login form,
// sign-out, redirects and the 404 page.
//
// Rule: after every navigation, wait for `html[data-hydrated="true"]` before
// clicking anything (helpers `gotoHydrated`, `signIn` and `signOut` do).
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import {
  DEMO_ACCOUNTS,
  NAV_LINKS,
  expect,
  expectExactText,
  expectedNavLinks,
  gotoHydrated,
  mainNav,
  navLinkTexts,
  pathOf,
  signIn,
  signOut,
  submitLoginForm,
  test,
  waitForHydration,
} from './helpers';

/** The page's main heading. */
const h1 = (page: Page) => page.getByRole('heading', { level: 1 });

test.describe('demo roles', () => {
  for (const account of DEMO_ACCOUNTS) {
    const expected = expectedNavLinks(account);

    test(`${account.login}: sign in, navigation, /queue and /admin access, sign out`, async ({ page }, testInfo) => {
      await test.step('sign in through the form', async () => {
        await signIn(page, account.login);
        expect(pathOf(page)).toBe('/');
      });

      await test.step(`main navigation shows exactly ${expected.join(', ')}`, async () => {
        const nav = mainNav(page);
        await expect(nav).toBeVisible();
        await expect.poll(async () => (await navLinkTexts(page)).sort()).toEqual([...expected].sort());
        for (const link of NAV_LINKS) {
          const locator = nav.getByRole('link', { name: link, exact: true });
          if (expected.includes(link)) {
            await expect(locator, `"${link}" link should be visible`).toBeVisible();
          } else {
            await expect(locator, `"${link}" link should be absent`).toHaveCount(0);
          }
        }
        await expect(page.locator('header').getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
      });

      await test.step('full-page screenshot of home', async () => {
        await page.screenshot({
          path: path.join(testInfo.project.outputDir, 'screens', `${account.login}-home.png`),
          fullPage: true,
        });
      });

      await test.step(`/queue answers ${account.reviewer ? 200 : 403}`, async () => {
        const response = await gotoHydrated(page, '/queue');
        if (account.reviewer) {
          expect(response.status()).toBe(200);
          await expect(h1(page)).toHaveText('Approval queue');
        } else {
          expect(response.status()).toBe(403);
          await expect(h1(page)).toHaveText('Forbidden');
        }
        // Same answer for a plain request sharing the page's cookies.
        expect((await page.request.get('/queue')).status()).toBe(account.reviewer ? 200 : 403);
      });

      await test.step(`/admin answers ${account.admin ? 200 : 403}`, async () => {
        const response = await gotoHydrated(page, '/admin');
        if (account.admin) {
          expect(response.status()).toBe(200);
          await expect(h1(page)).toHaveText('Administration');
          const users = page.getByTestId('users-table');
          await expect(users).toBeVisible();
          for (const { login } of DEMO_ACCOUNTS) {
            await expectExactText(users, login);
          }
          const teams = page.getByTestId('teams-table');
          await expect(teams).toBeVisible();
          for (const team of ['payments', 'sre', 'dba']) {
            await expectExactText(teams, team);
          }
        } else {
          expect(response.status()).toBe(403);
          await expect(h1(page)).toHaveText('Forbidden');
        }
        expect((await page.request.get('/admin')).status()).toBe(account.admin ? 200 : 403);
      });

      await test.step('sign out', async () => {
        await gotoHydrated(page, '/');
        await signOut(page);
        expect(pathOf(page)).toBe('/login');
        await gotoHydrated(page, '/');
        expect(pathOf(page), 'signed out: / should redirect to /login').toBe('/login');
      });
    });
  }
});

test.describe('login page', () => {
  test('has labelled inputs, a Sign in button and lists the demo accounts', async ({ page }) => {
    const response = await gotoHydrated(page, '/login');
    expect(response.status()).toBe(200);
    await expect(page.getByLabel('Login', { exact: true })).toHaveAttribute('id', 'login');
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('id', 'password');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    const demo = page.getByTestId('demo-accounts');
    await expect(demo).toBeVisible();
    for (const { login } of DEMO_ACCOUNTS) {
      await expectExactText(demo, login);
    }
  });

  test('wrong password shows an alert and keeps the login', async ({ page }) => {
    await gotoHydrated(page, '/login');
    await submitLoginForm(page, 'dev', 'not-the-password');
    await expect(page.getByRole('alert')).toContainText('Wrong login or password');
    await waitForHydration(page);
    expect(pathOf(page)).toBe('/login');
    await expect(page.locator('#login')).toHaveValue('dev');
    // Still signed out.
    await gotoHydrated(page, '/');
    expect(pathOf(page)).toBe('/login');
  });
});

test.describe('signed out', () => {
  for (const target of ['/', '/admin']) {
    test(`${target} redirects to /login`, async ({ page }) => {
      await gotoHydrated(page, target);
      expect(pathOf(page)).toBe('/login');
      await expect(page.locator('#login')).toBeVisible();
    });
  }
});

test.describe('unknown path', () => {
  test('answers 404 with "Page not found" when signed out', async ({ page }) => {
    const response = await gotoHydrated(page, '/no-such-page');
    expect(response.status()).toBe(404);
    await expect(h1(page)).toHaveText('Page not found');
  });

  test('answers 404 with "Page not found" when signed in', async ({ page }) => {
    await signIn(page, 'dev');
    const response = await gotoHydrated(page, '/no-such-page');
    expect(response.status()).toBe(404);
    await expect(h1(page)).toHaveText('Page not found');
  });
});

test.describe('client-side navigation', () => {
  test('Home → Account through the nav link, without reloading the document', async ({ page }) => {
    await signIn(page, 'dev');
    // A marker on `window` survives client-side routing but not a full page load.
    await page.evaluate(() => {
      (window as unknown as { __infradeskE2e?: string }).__infradeskE2e = 'still here';
    });
    await mainNav(page).getByRole('link', { name: 'Account', exact: true }).click();
    await expect(h1(page)).toHaveText('Account');
    expect(pathOf(page)).not.toBe('/');
    const marker = await page.evaluate(
      () => (window as unknown as { __infradeskE2e?: string }).__infradeskE2e,
    );
    expect(marker, 'navigation should be handled by the client-side router').toBe('still here');
    await waitForHydration(page);
  });
});
