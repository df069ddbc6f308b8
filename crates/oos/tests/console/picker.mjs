// The start form's instance pickers offer the cloud's instances: an `ALIYUN::ECS::Instance::InstanceId`
// parameter and a `Targets` parameter suggest the sandbox's ECS instances, listed through the server
// (ECS DescribeInstances forwarded to its emulator), and the chosen ids travel in the parameters.
import { run, page, check, shot, signIn, noErrors, CONSOLE } from './lib.mjs';

const { PICKER_USER, PICKER_PASSWORD, LAB_INSTANCE } = process.env;

/** The values the datalist of the input `selector` offers, once it offers `wanted`. */
async function suggestions(opened, selector, wanted) {
  await opened.focus(selector);
  await opened.waitForFunction(([selector, wanted]) => [...(document.querySelector(selector)?.list?.options || [])].some((option) => option.value === wanted), [selector, wanted], { timeout: 15000 });
  return opened.$eval(selector, (input) => [...input.list.options].map((option) => `${option.value} ${option.textContent}`));
}

await run('instance pickers offer the cloud', async (browser) => {
  const opened = await page(browser);
  await signIn(opened, PICKER_USER, PICKER_PASSWORD);
  await opened.goto(`${CONSOLE}#/templates/picker/start`);
  await opened.waitForSelector('#param-InstanceId');
  const single = await suggestions(opened, '#param-InstanceId', LAB_INSTANCE);
  check(single.some((text) => text.startsWith(LAB_INSTANCE) && text.includes('(ECS)')), `the InstanceId picker offers the sandbox's instance: ${single}`);
  const targets = '.targets input[name="Targets.Id"]';
  const many = await suggestions(opened, targets, LAB_INSTANCE);
  check(many.some((text) => text.startsWith(LAB_INSTANCE)), `the Targets picker offers it too: ${many}`);
  await shot(opened, 'instance-picker');

  await opened.fill('#param-InstanceId', LAB_INSTANCE);
  await opened.fill(targets, LAB_INSTANCE);
  await opened.click('text=Preview parameters');
  const dry = JSON.parse(await opened.textContent('#dry-run pre'));
  check(dry.Parameters.InstanceId === LAB_INSTANCE, `the chosen instance is sent: ${JSON.stringify(dry)}`);
  check(JSON.stringify(dry.Parameters.Targets.ResourceIds) === JSON.stringify([LAB_INSTANCE]), `the chosen target is sent: ${JSON.stringify(dry)}`);
  noErrors(opened);
});
