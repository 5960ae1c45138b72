import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRole, permissions, permissionsOf, rolePermissions, roles, type Permission, type Role } from '../../src/domain/roles.ts';

describe('roles and permissions', () => {
  test('the five roles are listed, each with a permission entry', () => {
    assert.deepEqual([...roles], ['Administrator', 'Radiologist', 'Clinician', 'Technician', 'Viewer']);
    assert.deepEqual(Object.keys(rolePermissions).sort(), [...roles].sort());
  });

  test('every role has session.self', () => {
    for (const role of roles) {
      assert.ok(rolePermissions[role].includes('session.self'), role);
      assert.ok(permissionsOf([role]).has('session.self'), role);
    }
  });

  test('only Administrator has users.manage (and the other administrative permissions)', () => {
    const holders = (permission: Permission): Role[] => roles.filter((role) => rolePermissions[role].includes(permission));
    assert.deepEqual(holders('users.manage'), ['Administrator']);
    assert.deepEqual(holders('users.read'), ['Administrator']);
    assert.deepEqual(holders('security-events.read'), ['Administrator']);
  });

  test('every granted permission is a known permission, listed once per role', () => {
    for (const role of roles) {
      const granted = rolePermissions[role];
      assert.equal(new Set(granted).size, granted.length, role);
      for (const permission of granted) assert.ok((permissions as readonly string[]).includes(permission), `${role}: ${permission}`);
    }
  });

  test('every permission is granted to some role', () => {
    const granted = permissionsOf(roles);
    for (const permission of permissions) assert.ok(granted.has(permission), permission);
  });

  test('permissionsOf is the union of the roles held', () => {
    assert.deepEqual(permissionsOf([]), new Set());
    assert.deepEqual(permissionsOf(['Viewer']), new Set(rolePermissions.Viewer));
    assert.deepEqual(permissionsOf(['Viewer', 'Administrator']), new Set([...rolePermissions.Viewer, ...rolePermissions.Administrator]));
    assert.deepEqual(permissionsOf(['Administrator', 'Viewer']), permissionsOf(['Viewer', 'Administrator']));
    assert.deepEqual(permissionsOf(['Radiologist', 'Clinician', 'Technician']), new Set([...rolePermissions.Radiologist, ...rolePermissions.Clinician, ...rolePermissions.Technician]));
    assert.ok(!permissionsOf(['Viewer']).has('patients.create'), 'a Viewer cannot create');
    assert.deepEqual(permissionsOf(['Radiologist', 'Radiologist']), permissionsOf(['Radiologist']));
  });

  test('permissionsOf returns a new set each time (callers cannot change the table)', () => {
    const set = permissionsOf(['Viewer']);
    set.add('users.manage');
    assert.equal(permissionsOf(['Viewer']).has('users.manage'), false);
    assert.equal(rolePermissions.Viewer.includes('users.manage'), false);
  });

  test('isRole recognises exactly the listed roles, case-sensitively', () => {
    for (const role of roles) assert.equal(isRole(role), true, role);
    for (const value of ['administrator', 'ADMINISTRATOR', 'Admin', '', 'Viewer ', 'Superuser', 'toString', '__proto__']) {
      assert.equal(isRole(value), false, JSON.stringify(value));
    }
  });
});
