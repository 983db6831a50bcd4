// The whole path of a request in a real browser (release build): a requester submits, a
// reviewer of the routed team finds it in the queue, reads what changed and approves, and
// the request shows approved, then merged — with the local infra repository's branch
// really merged into the base branch (checked with git when the runner says where the
// repository is: INFRADESK_E2E_INFRA_REPO, set by scripts/test).
import { execFileSync } from 'node:child_process';
import { expect, gotoHydrated, signIn, signOut, test, waitForHydration } from './helpers';

const infraRepo = process.env.INFRADESK_E2E_INFRA_REPO;

function git(...args: string[]): string {
  return execFileSync('git', ['-C', infraRepo as string, ...args], { encoding: 'utf8' }).trim();
}

test('dev submits, sre approves from the queue, the pull request is merged', async ({ page }) => {
  const instance = `ledger-${Date.now().toString(36)}`;
  let requestPath = '';

  await test.step('dev submits an S3 bucket for dev, routed to sre', async () => {
    await signIn(page, 'dev');
    await gotoHydrated(page, '/requests/new/s3-bucket');
    await page.getByLabel('Instance name').fill(instance);
    await page.getByLabel('Justification').fill('Ledger exports for the auditors.');
    await expect(page.getByTestId('preview-routing')).toContainText('reviewed by sre');
    await page.getByTestId('submit').click();
    await page.waitForURL((url) => /^\/requests\/\d+$/.test(url.pathname));
    requestPath = new URL(page.url()).pathname;
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('request-status')).toHaveText('in review', { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    // The requester cannot approve their own request.
    await expect(page.getByTestId('approve')).toHaveCount(0);
    // The first revision's diff is the whole new file.
    await expect(page.getByTestId('rendered-diff')).toContainText(`+module "${instance}" {`);
    await signOut(page);
  });

  await test.step('sre finds it in the queue and approves it', async () => {
    await signIn(page, 'sre');
    await gotoHydrated(page, '/queue');
    const row = page.getByTestId('queue-table').getByRole('row').filter({ hasText: instance });
    await expect(row).toHaveCount(1);
    await row.getByRole('link').click();
    await page.waitForURL((url) => url.pathname === requestPath);
    await waitForHydration(page);
    await expect(page.getByTestId('approvals')).toContainText('sre');
    await page.getByLabel('Comment (required to request changes or reject)').fill('Looks right: private bucket, dev only.');
    await page.getByTestId('approve').click();
    await page.waitForURL((url) => url.pathname === requestPath);
    await expect(page.getByTestId('request-status')).toHaveText(/approved|merged/);
    await expect(page.getByTestId('conversation')).toContainText('Looks right');
  });

  await test.step('the approved request is merged (no plan check in local mode)', async () => {
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId('request-status')).toHaveText('merged', { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await expect(page.getByTestId('pull-link')).toContainText('(merged)');
    await expect(page.getByTestId('plan-status')).toContainText('not configured');
    await expect(page.getByTestId('timeline')).toContainText('request.approved');
    await expect(page.getByTestId('timeline')).toContainText('request.merged');
    // Nobody waits for it any more.
    await gotoHydrated(page, '/queue');
    await expect(page.getByText(instance)).toHaveCount(0);
  });

  await test.step('the branch is merged into main in the infra repository', async () => {
    test.skip(!infraRepo, 'INFRADESK_E2E_INFRA_REPO is not set: the repository cannot be read');
    const branch = git('for-each-ref', '--format=%(refname:short)', `refs/heads/infradesk/*-${instance}`);
    expect(branch, 'the request branch').not.toBe('');
    // An ancestor of main: merged. And main has the file with the module call.
    execFileSync('git', ['-C', infraRepo as string, 'merge-base', '--is-ancestor', branch, 'main']);
    expect(git('log', '-1', '--format=%P', 'main').split(' ')).toHaveLength(2);
    expect(git('show', `main:environments/dev/s3-bucket-${instance}.tf`)).toContain(`module "${instance}" {`);
  });
});
