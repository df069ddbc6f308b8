// Templates: the editor marks a validation error at its line (gutter and list) as you type,
// creates the template once it is valid, saves a second version, and the view shows their diff.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { AUTHOR_USER, AUTHOR_PASSWORD } = process.env;

const BROKEN = `FormatVersion: OOS-2019-06-01
Description: Say hello.
Parameters:
  Who:
    Type: String
    Default: world
Tasks:
  - Name: Hello
    Action: ACS::NoSuchAction
    Properties: {}
`;
const BAD_LINE = 9;

await run('template editor and versions', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/new/edit`);
  await opened.waitForSelector('#template-editor');
  await opened.fill('#template-name', 'hello');
  await opened.fill('#template-editor', BROKEN);
  const mark = await opened.waitForSelector(`.gutter .mark[data-line="${BAD_LINE}"]`, { timeout: 10000 });
  check(mark, `the gutter marks line ${BAD_LINE}`);
  const at = await opened.textContent('#diagnostics li .at');
  check(at.startsWith(`${BAD_LINE}:`), `the diagnostic names line ${BAD_LINE}: ${at}`);
  await shot(opened, 'editor-error');

  await opened.fill('#template-editor', BROKEN.replace('ACS::NoSuchAction', 'ACS::Sleep').replace('{}', '{Duration: PT1S}'));
  await opened.waitForSelector('.valid', { timeout: 10000 });
  check(await opened.$$eval('.gutter .mark', (marks) => marks.length) === 0, 'no marks once valid');
  await opened.click('#save-template');
  await opened.waitForSelector('#template-content');
  check((await opened.url()).endsWith('#/templates/hello'), 'the new template is shown');

  await opened.goto(`${CONSOLE}#/templates/hello/edit`);
  await opened.waitForSelector('.valid', { timeout: 10000 });
  const second = (await opened.inputValue('#template-editor')).replace('Say hello.', 'Say hello twice.').replace('PT1S', 'PT2S');
  await opened.fill('#template-editor', second);
  await opened.waitForSelector('.valid', { timeout: 10000 });
  await opened.click('#save-template');
  await opened.waitForSelector('.diff .ln.add');
  const added = await opened.$$eval('.diff .ln.add', (lines) => lines.map((line) => line.textContent));
  check(added.some((line) => line.includes('Say hello twice.')), `the diff shows the changed line: ${added}`);
  await shot(opened, 'template-view');

  await opened.goto(`${CONSOLE}#/templates`);
  await opened.waitForSelector('table.grid tbody tr td a');
  await opened.fill('#template-search', 'hel');
  await opened.waitForFunction(() => [...document.querySelectorAll('table.grid tbody tr')].length === 1);
  await shot(opened, 'templates');
  noErrors(opened);
});
