import type { Role } from '../../api/types';
import { paths } from '../../router/paths';

/** One thing a role can do, with the page that does it once it exists. */
export interface Capability {
  label: string;
  /** In-app path when the feature is available; undefined means "coming soon". */
  to?: string;
}

export interface RoleCard {
  role: Role;
  summary: string;
  capabilities: Capability[];
}

/** What each role can do in Clarus, in the order the cards are shown. */
export const roleCards: readonly RoleCard[] = [
  {
    role: 'Administrator',
    summary: 'Runs this Clarus installation for the organisation.',
    capabilities: [
      { label: 'Manage users and their roles', to: paths.adminUsers },
      { label: 'Manage patients and care teams', to: paths.patients },
      { label: 'Manage API keys', to: paths.adminServiceAccounts },
      { label: 'Organisation settings', to: paths.adminSettings },
      { label: 'Rotate encryption keys', to: paths.adminKeys },
      { label: 'De-identification: pixel masks and allow-lists', to: paths.adminDeid },
      { label: 'File unmatched DICOM to its patient', to: paths.reconciliation },
      { label: 'Manage AI models' },
      { label: 'Review security events', to: paths.adminUsers },
      { label: 'Review the audit trail' },
    ],
  },
  {
    role: 'Radiologist',
    summary: 'Reads studies and signs off the findings.',
    capabilities: [
      { label: 'Find patients', to: paths.patients },
      { label: 'Read images in the viewer' },
      { label: 'Review AI findings' },
      { label: 'Write and sign reports' },
    ],
  },
  {
    role: 'Clinician',
    summary: 'Cares for patients and acts on the results.',
    capabilities: [
      { label: 'See your assigned patients', to: paths.patients },
      { label: 'Request AI analyses' },
      { label: 'Read signed reports' },
    ],
  },
  {
    role: 'Technician',
    summary: 'Acquires studies and brings them into Clarus.',
    capabilities: [
      { label: 'Register patients', to: paths.newPatient },
      { label: 'Upload images and studies' },
      { label: 'File unmatched DICOM to its patient', to: paths.reconciliation },
    ],
  },
  {
    role: 'Viewer',
    summary: 'Follows patients without changing anything.',
    capabilities: [{ label: 'Read-only access to your assigned patients', to: paths.patients }],
  },
];
