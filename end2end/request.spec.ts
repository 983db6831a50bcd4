// Requesting in a real browser with JavaScript on: the generated form checks values as the
// user types (the domain crate in wasm), the preview shows the exact module call and its
// reviewers, and submitting leads to the request's page. Without JavaScript the same form
// works by full page posts (covered by the server's API tests).
import { expect, gotoHydrated, signIn, test, waitForHydration } from './helpers';

test('dev requests an S3 bucket: live errors, preview, submit', async ({ page }) => {
  await signIn(page, 'dev');
  await gotoHydrated(page, '/requests/new');
  await page.getByRole('link', { name: 'S3 bucket' }).click();
  await page.waitForURL((url) => url.pathname === '/requests/new/s3-bucket');
  await waitForHydration(page);

  const name = page.getByLabel('Instance name');
  const preview = page.getByTestId('preview');

  await test.step('an invalid name is flagged as it is typed, before any submit', async () => {
    await name.fill('Invoices');
    await expect(page.locator('#field-instance_name, .field').filter({ has: name }).getByRole('alert')).toContainText(
      'uppercase',
    );
  });

  const instance = `invoices-${Date.now().toString(36)}`;
  await test.step('a valid form previews the exact module call, path and reviewers', async () => {
    await name.fill(instance);
    await page.getByLabel('Justification').fill('Monthly invoice exports for finance.');
    await expect(preview.getByTestId('preview-hcl')).toContainText(`module "${instance}" {`);
    await expect(preview.getByTestId('preview-hcl')).toContainText(`bucket = "acme-dev-${instance}"`);
    await expect(preview.getByTestId('preview-path')).toHaveText(`environments/dev/s3-bucket-${instance}.tf`);
    await expect(preview.getByTestId('preview-routing')).toContainText('reviewed by sre');
    await expect(page.getByTestId('checks').locator('[data-status="pass"]').first()).toBeVisible();
  });

  await test.step('submit shows the request page with the stored file', async () => {
    await page.getByTestId('submit').click();
    await page.waitForURL((url) => /^\/requests\/\d+$/.test(url.pathname));
    await waitForHydration(page);
    await expect(page.getByText(/Request #\d+ submitted\./)).toBeVisible();
    await expect(page.getByTestId('request-status')).toHaveText(/waiting for the pull request|in review/);
    await expect(page.getByTestId('preview-hcl')).toContainText(`module "${instance}" {`);
    await expect(page.getByTestId('timeline')).toContainText('request.submitted');
  });

  await test.step('the pull request is opened in the background and shown on the page', async () => {
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('pull-link')).toContainText(/Pull request #\d+ \(open\)/, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.getByTestId('request-status')).toHaveText('in review');
    await expect(page.getByTestId('delivery')).toContainText(`infradesk/`);
    await expect(page.getByTestId('timeline')).toContainText('request.pr_opened');
  });

  await test.step('the request is listed under My requests', async () => {
    await gotoHydrated(page, '/requests?scope=mine');
    await expect(page.getByTestId('requests-table')).toContainText(instance);
  });
});
