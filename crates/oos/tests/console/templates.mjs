// Templates: the editor marks every validation error at its line (gutter and list) as you type and
// moves the cursor to one when clicked, creates the template once it is valid, saves a second
// version, and the view shows their diff.
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
  - Name: Again
    Action: ACS::NoSuchActionEither
    Properties: {}
`;
const BAD_LINES = [9, 12];

await run('template editor and versions', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, AUTHOR_USER, AUTHOR_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/new/edit`);
  await opened.waitForSelector('#template-editor');
  await opened.fill('#template-name', 'hello');
  await opened.fill('#template-editor', BROKEN);
  await opened.waitForSelector(`.gutter .mark[data-line="${BAD_LINES[0]}"]`, { timeout: 10000 });
  const marks = await opened.$$eval('.gutter .mark', (found) => found.map((mark) => Number(mark.dataset.line)));
  check(marks.join(',') === BAD_LINES.join(','), `the gutter marks lines ${BAD_LINES}: ${marks}`);
  const at = await opened.$$eval('#diagnostics li .at', (found) => found.map((place) => place.textContent));
  check(at.length === 2 && at.every((place, index) => place.startsWith(`${BAD_LINES[index]}:`)), `each diagnostic is listed at its line: ${at}`);
  await opened.click('#diagnostics li:nth-child(2)');
  const cursor = await opened.$eval('#template-editor', (editor) => {
    const before = editor.value.slice(0, editor.selectionStart).split('\n');
    return `${before.length}:${before.at(-1).length + 1}`;
  });
  check(cursor === at[1], `a click on the second diagnostic moves the cursor to ${at[1]}: ${cursor}`);
  await shot(opened, 'editor-error');

  await opened.fill('#template-editor', BROKEN.replace(/ACS::NoSuchAction\w*/g, 'ACS::Sleep').replaceAll('{}', '{Duration: PT1S}'));
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
