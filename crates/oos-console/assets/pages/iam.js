// IAM (RAM 2015-05-01): users, groups, roles, policies and virtual MFA devices; for a user, its
// groups, policies, AccessKeys (a new secret shown once), console password and MFA device; for a
// group or role, its policies (attach, detach); a policy's document.

import { call, RAM } from '../api.js';
import { h, replace, table, time, heading, panel, button, confirmButton, select, tabs, link, json, parsed, toast, secretOnce, pill, errorBox } from '../ui.js';

export const route = ['iam', 'iam/:tab', 'iam/users/:user', 'iam/groups/:group', 'iam/roles/:role', 'iam/policies/:policyType/:policy'];

const ram = (action, params) => call(action, params, RAM);
const TABS = [['iam/users', 'Users'], ['iam/groups', 'Groups'], ['iam/roles', 'Roles'], ['iam/policies', 'Policies'], ['iam/mfa', 'MFA devices']];
const TRUST_POLICY = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oos.aliyuncs.com'] } }],
}, null, 2);
const POLICY = JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['oos:List*', 'oos:Get*'], Resource: '*' }] }, null, 2);

/** RAM's list shape `{Users: {User: [...]}}` as an array. */
function items(reply, plural, singular) {
  return reply?.[plural]?.[singular] || [];
}

/** A small form: `inputs` are `[label, control]`; `submit(values)` gets the controls' values by label. */
function form(title, inputs, submit) {
  return h('div.inline-form',
    inputs.map(([label, control]) => h('label', label, control)),
    button(title, async () => {
      await submit(Object.fromEntries(inputs.map(([label, control]) => [label, control.type === 'checkbox' ? control.checked : control.value])));
      for (const [, control] of inputs) if (control.type !== 'checkbox' && control.tagName !== 'SELECT') control.value = '';
    }, { kind: 'primary' }));
}

function input(placeholder, type = 'text') {
  return h('input', { type, placeholder, autocomplete: type === 'password' ? 'new-password' : 'off' });
}

function policyLink(p) {
  return link(`iam/policies/${p.PolicyType}/${encodeURIComponent(p.PolicyName)}`, p.PolicyName);
}

/**
 * The policies attached to a user, group or role (`kind` User, Group or Role), with detach, and an
 * attach form listing every policy.
 */
async function attachedPolicies(kind, name, reload) {
  const key = `${kind}Name`;
  const [attached, all] = await Promise.all([ram(`ListPoliciesFor${kind}`, { [key]: name }), ram('ListPolicies', {})]);
  const rows = items(attached, 'Policies', 'Policy');
  const choices = items(all, 'Policies', 'Policy').filter((p) => !rows.some((r) => r.PolicyName === p.PolicyName && r.PolicyType === p.PolicyType));
  const picker = select(choices.map((p) => [`${p.PolicyType}:${p.PolicyName}`, `${p.PolicyName} (${p.PolicyType})`]), '', { 'aria-label': 'Policy to attach' });
  return h('div',
    table([
      { title: 'Policy', render: policyLink },
      { title: 'Type', key: 'PolicyType' },
      { title: 'Description', render: (p) => h('span.muted', p.Description || '') },
      { title: '', render: (p) => confirmButton('Detach', async () => {
        await ram(`DetachPolicyFrom${kind}`, { [key]: name, PolicyName: p.PolicyName, PolicyType: p.PolicyType });
        toast(`${p.PolicyName} detached from ${name}.`, 'ok');
        reload();
      }) },
    ], rows, { empty: 'No policies attached.' }),
    choices.length ? h('div.row',
      picker,
      button('Attach', async () => {
        const [PolicyType, ...rest] = picker.value.split(':');
        await ram(`AttachPolicyTo${kind}`, { [key]: name, PolicyName: rest.join(':'), PolicyType });
        toast(`${rest.join(':')} attached to ${name}.`, 'ok');
        reload();
      }, { kind: 'primary' })) : null);
}

async function users(body, reload) {
  const rows = items(await ram('ListUsers', {}), 'Users', 'User');
  replace(body,
    panel('New user', form('Create user', [['User name', input('alice')], ['Display name', input('Alice')]], async (v) => {
      await ram('CreateUser', { UserName: v['User name'].trim(), DisplayName: v['Display name'].trim() });
      toast(`User ${v['User name']} created.`, 'ok');
      reload();
    })),
    panel(null, table([
      { title: 'User', render: (u) => link(`iam/users/${encodeURIComponent(u.UserName)}`, u.UserName) },
      { title: 'Display name', key: 'DisplayName' },
      { title: 'Created', render: (u) => time(u.CreateDate) },
    ], rows, { empty: 'No users.' })));
}

async function groups(body, reload) {
  const rows = items(await ram('ListGroups', {}), 'Groups', 'Group');
  replace(body,
    panel('New group', form('Create group', [['Group name', input('operators')], ['Comments', input('')]], async (v) => {
      await ram('CreateGroup', { GroupName: v['Group name'].trim(), Comments: v.Comments });
      toast(`Group ${v['Group name']} created.`, 'ok');
      reload();
    })),
    panel(null, table([
      { title: 'Group', render: (g) => link(`iam/groups/${encodeURIComponent(g.GroupName)}`, g.GroupName) },
      { title: 'Comments', render: (g) => h('span.muted', g.Comments || '') },
      { title: 'Created', render: (g) => time(g.CreateDate) },
    ], rows, { empty: 'No groups.' })));
}

async function roles(body, reload) {
  const rows = items(await ram('ListRoles', {}), 'Roles', 'Role');
  const trust = h('textarea', { rows: 8, value: TRUST_POLICY });
  replace(body,
    panel('New role', form('Create role', [['Role name', input('OOSServiceRole')], ['Description', input('')], ['Trust policy', trust]], async (v) => {
      await ram('CreateRole', { RoleName: v['Role name'].trim(), Description: v.Description, AssumeRolePolicyDocument: v['Trust policy'] });
      toast(`Role ${v['Role name']} created.`, 'ok');
      reload();
    })),
    panel(null, table([
      { title: 'Role', render: (r) => link(`iam/roles/${encodeURIComponent(r.RoleName)}`, r.RoleName) },
      { title: 'ARN', key: 'Arn', class: 'mono' },
      { title: 'Description', render: (r) => h('span.muted', r.Description || '') },
      { title: 'Created', render: (r) => time(r.CreateDate) },
    ], rows, { empty: 'No roles.' })));
}

async function policies(body, reload) {
  const rows = items(await ram('ListPolicies', {}), 'Policies', 'Policy');
  const documentInput = h('textarea', { rows: 8, value: POLICY });
  replace(body,
    panel('New policy', form('Create policy', [['Policy name', input('ReadOnlyOOS')], ['Description', input('')], ['Document', documentInput]], async (v) => {
      await ram('CreatePolicy', { PolicyName: v['Policy name'].trim(), Description: v.Description, PolicyDocument: v.Document });
      toast(`Policy ${v['Policy name']} created.`, 'ok');
      reload();
    })),
    panel(null, table([
      { title: 'Policy', render: policyLink },
      { title: 'Type', key: 'PolicyType' },
      { title: 'Description', render: (p) => h('span.muted', p.Description || '') },
    ], rows, { empty: 'No policies.' })));
}

async function mfaDevices(body, reload) {
  const rows = items(await ram('ListVirtualMFADevices', {}), 'VirtualMFADevices', 'VirtualMFADevice');
  const created = h('div');
  replace(body,
    created,
    panel('New virtual MFA device', form('Create device', [['Device name', input('alice-phone')]], async (v) => {
      const reply = await ram('CreateVirtualMFADevice', { VirtualMFADeviceName: v['Device name'].trim() });
      const device = reply.VirtualMFADevice || {};
      replace(created, secretOnce(`MFA device ${device.SerialNumber}`, [
        ['Seed (Base32)', device.Base32StringSeed],
        ['otpauth URI', `otpauth://totp/OpenOOS:${encodeURIComponent(v['Device name'].trim())}?secret=${device.Base32StringSeed}&issuer=OpenOOS`],
      ], 'Add the seed to an authenticator app now: it is never shown again. Then bind the device to a user on the user\'s page.'));
    })),
    panel(null, table([
      { title: 'Serial number', key: 'SerialNumber', class: 'mono' },
      { title: 'User', render: (d) => (d.User?.UserName ? link(`iam/users/${encodeURIComponent(d.User.UserName)}`, d.User.UserName) : h('span.muted', 'unbound')) },
      { title: 'Activated', render: (d) => time(d.ActivateDate) },
      { title: '', render: (d) => (d.User?.UserName ? null : confirmButton('Delete', async () => {
        await ram('DeleteVirtualMFADevice', { SerialNumber: d.SerialNumber });
        toast(`${d.SerialNumber} deleted.`, 'ok');
        reload();
      })) },
    ], rows, { empty: 'No virtual MFA devices.' })));
}

/** A user's AccessKeys: create (the secret shown once), disable, enable, delete. */
async function accessKeys(name) {
  const box = h('div.access-keys');
  // `created`: the box holding a new key's secret, the only place it is ever shown.
  async function draw(created) {
    const rows = items(await ram('ListAccessKeys', { UserName: name }), 'AccessKeys', 'AccessKey');
    const again = () => draw(box.querySelector('.secret-once')).catch((error) => toast(error, 'error'));
    replace(box,
      created,
      table([
        { title: 'AccessKey', key: 'AccessKeyId', class: 'mono' },
        { title: 'Status', render: (k) => pill(k.Status) },
        { title: 'Created', render: (k) => time(k.CreateDate) },
        { title: '', render: (k) => h('div.actions',
          button(k.Status === 'Active' ? 'Disable' : 'Enable', async () => {
            await ram('UpdateAccessKey', { UserName: name, UserAccessKeyId: k.AccessKeyId, Status: k.Status === 'Active' ? 'Inactive' : 'Active' });
            await again();
          }),
          confirmButton('Delete', async () => {
            await ram('DeleteAccessKey', { UserName: name, UserAccessKeyId: k.AccessKeyId });
            toast(`${k.AccessKeyId} deleted.`, 'ok');
            await again();
          })) },
      ], rows, { empty: 'No AccessKeys.' }),
      h('div.row', button('Create AccessKey', async () => {
        const key = (await ram('CreateAccessKey', { UserName: name })).AccessKey;
        await draw(secretOnce(`New AccessKey ${key.AccessKeyId}`, [['AccessKeyId', key.AccessKeyId], ['AccessKeySecret', key.AccessKeySecret]]));
      }, { kind: 'primary' })));
  }
  await draw(null);
  return box;
}

/** A user's console password (login profile): create, change, require a reset or MFA, delete. */
async function loginProfile(name, reload) {
  const profile = await ram('GetLoginProfile', { UserName: name }).then((reply) => reply.LoginProfile, (error) => {
    if (String(error.code).startsWith('EntityNotExist')) return null;
    throw error;
  });
  const password = input('New password', 'password');
  const reset = h('input', { type: 'checkbox', checked: Boolean(profile?.PasswordResetRequired) });
  const mfa = h('input', { type: 'checkbox', checked: Boolean(profile?.MFABindRequired) });
  const save = async (v) => {
    const params = { UserName: name, Password: v.Password || undefined, PasswordResetRequired: String(v['Reset at next sign-in']), MFABindRequired: String(v['MFA required']) };
    await ram(profile ? 'UpdateLoginProfile' : 'CreateLoginProfile', params);
    toast(`Console password of ${name} ${profile ? 'updated' : 'set'}.`, 'ok');
    reload();
  };
  return h('div',
    h('div.muted', profile ? ['Console sign-in enabled since ', time(profile.CreateDate), '.'] : 'No console password: this user cannot sign in to the console.'),
    form(profile ? 'Update' : 'Enable console sign-in', [['Password', password], ['Reset at next sign-in', reset], ['MFA required', mfa]], save),
    profile ? h('div.row', confirmButton('Disable console sign-in', async () => {
      await ram('DeleteLoginProfile', { UserName: name });
      reload();
    })) : null);
}

/** A user's MFA device: bind an unbound one with two consecutive codes, or unbind (also the Account page's). */
export async function userMfa(name, reload) {
  const info = await ram('GetUserMFAInfo', { UserName: name }).then((reply) => reply.MFADevice, (error) => {
    if (String(error.code).startsWith('EntityNotExist')) return null;
    throw error;
  });
  if (info?.SerialNumber) {
    return h('div.row', h('span', 'Bound: ', h('code', info.SerialNumber)), confirmButton('Unbind', async () => {
      await ram('UnbindMFADevice', { UserName: name });
      reload();
    }));
  }
  const free = items(await ram('ListVirtualMFADevices', {}), 'VirtualMFADevices', 'VirtualMFADevice').filter((d) => !d.User?.UserName);
  if (!free.length) return h('div.muted', 'No MFA device bound. Create one under MFA devices, then bind it here.');
  return form('Bind', [
    ['Device', select(free.map((d) => d.SerialNumber), free[0].SerialNumber)],
    ['Code 1', input('123456')],
    ['Code 2 (the next one)', input('654321')],
  ], async (v) => {
    await ram('BindMFADevice', { UserName: name, SerialNumber: v.Device, AuthenticationCode1: v['Code 1'].trim(), AuthenticationCode2: v['Code 2 (the next one)'].trim() });
    toast(`MFA device bound to ${name}.`, 'ok');
    reload();
  });
}

/** `build()` shown in a panel; a failed build shows its error in the panel instead. */
export async function section(title, build) {
  try {
    return panel(title, await build());
  } catch (error) {
    return panel(title, errorBox(error));
  }
}

async function user(root, name) {
  const reload = () => user(root, name).catch((error) => toast(error, 'error'));
  const found = (await ram('GetUser', { UserName: name })).User;
  const groupsOf = items(await ram('ListGroupsForUser', { UserName: name }), 'Groups', 'Group');
  const allGroups = items(await ram('ListGroups', {}), 'Groups', 'Group').filter((g) => !groupsOf.some((m) => m.GroupName === g.GroupName));
  const groupPicker = select(allGroups.map((g) => g.GroupName), '', { 'aria-label': 'Group' });
  replace(root,
    heading(`User ${name}`, confirmButton('Delete user', async () => {
      await ram('DeleteUser', { UserName: name });
      location.hash = '#/iam/users';
    })),
    panel(null, h('dl.kv', h('dt', 'Display name'), h('dd', found.DisplayName || '—'), h('dt', 'Created'), h('dd', time(found.CreateDate)))),
    await section('AccessKeys', () => accessKeys(name)),
    h('div.grid-2',
      await section('Console password', () => loginProfile(name, reload)),
      await section('MFA device', () => userMfa(name, reload))),
    await section('Policies', () => attachedPolicies('User', name, reload)),
    panel('Groups',
      table([
        { title: 'Group', render: (g) => link(`iam/groups/${encodeURIComponent(g.GroupName)}`, g.GroupName) },
        { title: '', render: (g) => confirmButton('Remove', async () => {
          await ram('RemoveUserFromGroup', { UserName: name, GroupName: g.GroupName });
          reload();
        }) },
      ], groupsOf, { empty: 'In no group.' }),
      allGroups.length ? h('div.row', groupPicker, button('Add to group', async () => {
        await ram('AddUserToGroup', { UserName: name, GroupName: groupPicker.value });
        reload();
      })) : null));
}

async function group(root, name) {
  const reload = () => group(root, name).catch((error) => toast(error, 'error'));
  const found = (await ram('GetGroup', { GroupName: name })).Group;
  const members = items(await ram('ListUsersForGroup', { GroupName: name }), 'Users', 'User');
  replace(root,
    heading(`Group ${name}`, confirmButton('Delete group', async () => {
      await ram('DeleteGroup', { GroupName: name });
      location.hash = '#/iam/groups';
    })),
    panel(null, h('dl.kv', h('dt', 'Comments'), h('dd', found.Comments || '—'), h('dt', 'Created'), h('dd', time(found.CreateDate)))),
    panel('Members', table([{ title: 'User', render: (u) => link(`iam/users/${encodeURIComponent(u.UserName)}`, u.UserName) }], members, { empty: 'No members.' })),
    await section('Policies', () => attachedPolicies('Group', name, reload)));
}

async function role(root, name) {
  const reload = () => role(root, name).catch((error) => toast(error, 'error'));
  const found = (await ram('GetRole', { RoleName: name })).Role;
  replace(root,
    heading(`Role ${name}`, confirmButton('Delete role', async () => {
      await ram('DeleteRole', { RoleName: name });
      location.hash = '#/iam/roles';
    })),
    panel(null, h('dl.kv', h('dt', 'ARN'), h('dd.mono', found.Arn), h('dt', 'Description'), h('dd', found.Description || '—'), h('dt', 'Created'), h('dd', time(found.CreateDate)))),
    panel('Trust policy', json(parsed(found.AssumeRolePolicyDocument))),
    await section('Policies', () => attachedPolicies('Role', name, reload)));
}

async function policy(root, policyType, name) {
  const reply = await ram('GetPolicy', { PolicyName: name, PolicyType: policyType });
  replace(root,
    heading(`Policy ${name}`, policyType === 'Custom' ? confirmButton('Delete policy', async () => {
      await ram('DeletePolicy', { PolicyName: name });
      location.hash = '#/iam/policies';
    }) : null),
    panel(null, h('dl.kv', h('dt', 'Type'), h('dd', policyType), h('dt', 'Description'), h('dd', reply.Policy?.Description || '—'))),
    panel('Document', json(parsed(reply.DefaultPolicyVersion?.PolicyDocument))));
}

const LISTS = { users, groups, roles, policies, mfa: mfaDevices };

export async function render(root, { tab, user: userName, group: groupName, role: roleName, policyType, policy: policyName }) {
  if (userName) return user(root, userName);
  if (groupName) return group(root, groupName);
  if (roleName) return role(root, roleName);
  if (policyName) return policy(root, policyType, policyName);
  const shown = LISTS[tab] ? tab : 'users';
  const body = h('div.page-body');
  const reload = () => LISTS[shown](body, reload).catch((error) => toast(error, 'error'));
  replace(root, heading('IAM'), tabs(TABS, `iam/${shown}`), body);
  await LISTS[shown](body, reload);
  return undefined;
}
