import { AccountPage } from './pages/AccountPage';
import { AdminUsersPage } from './pages/AdminUsersPage';
import { EnrolPage } from './pages/EnrolPage';
import { HomePage } from './pages/home/HomePage';
import { MfaPage } from './pages/MfaPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { KeysPage } from './pages/admin/KeysPage';
import { DeidSettingsPage } from './pages/admin/DeidSettingsPage';
import { ServiceAccountsPage } from './pages/admin/ServiceAccountsPage';
import { AuditPage } from './pages/audit/AuditPage';
import { DisclosuresPage } from './pages/audit/DisclosuresPage';
import { SettingsPage } from './pages/admin/SettingsPage';
import { NewPatientPage } from './pages/patients/NewPatientPage';
import { PatientPage } from './pages/patients/PatientPage';
import { PatientsPage } from './pages/patients/PatientsPage';
import { SignInPage } from './pages/SignInPage';
import { TotpSetupPage } from './pages/TotpSetupPage';
import { StartupPage } from './pages/StartupPage';
import { UploadPage } from './pages/images/UploadPage';
import { ReconciliationPage } from './pages/images/ReconciliationPage';
import { ViewerPage } from './pages/viewer/ViewerPage';
import { ResearchExportsPage } from './pages/research/ResearchExportsPage';
import { uploadDicomPath, uploadPatientIdOf, viewerIdsOf } from './router/imagePaths';
import { usePathname } from './router/history';
import { disclosuresIdOf, normalisePath, patientIdOf, paths, redirectFor } from './router/paths';
import { Redirect } from './router/Redirect';
import { useSession } from './session/SessionContext';

function page(path: string) {
  switch (path) {
    case paths.home:
      return <HomePage />;
    case paths.signIn:
      return <SignInPage />;
    case paths.verify:
      return <MfaPage />;
    case paths.enrol:
      return <EnrolPage />;
    case paths.setupTotp:
      return <TotpSetupPage />;
    case paths.account:
      return <AccountPage />;
    case paths.adminUsers:
      return <AdminUsersPage />;
    case paths.patients:
      return <PatientsPage />;
    case paths.newPatient:
      return <NewPatientPage />;
    case paths.adminServiceAccounts:
      return <ServiceAccountsPage />;
    case paths.adminSettings:
      return <SettingsPage />;
    case paths.adminAudit:
      return <AuditPage />;
    case paths.adminKeys:
      return <KeysPage />;
    case paths.adminDeid:
      return <DeidSettingsPage />;
    case paths.researchExports:
      return <ResearchExportsPage />;
    case uploadDicomPath:
      return <UploadPage patientId={null} />;
    case paths.reconciliation:
      return <ReconciliationPage />;
    default: {
      const disclosuresId = disclosuresIdOf(path);
      if (disclosuresId !== null) return <DisclosuresPage key={disclosuresId} patientId={disclosuresId} />;
      const uploadId = uploadPatientIdOf(path);
      if (uploadId !== null) return <UploadPage key={uploadId} patientId={uploadId} />;
      const viewer = viewerIdsOf(path);
      if (viewer !== null) return <ViewerPage key={path} {...viewer} />;
      const patientId = patientIdOf(path);
      // keyed by id: another patient is another page, with none of the previous one's state.
      return patientId === null ? <NotFoundPage /> : <PatientPage key={patientId} id={patientId} />;
    }
  }
}

/** Picks the page for the current path, after sending the visitor where the session stage allows. */
export function Routes() {
  const path = normalisePath(usePathname());
  const { state } = useSession();
  if (state.status === 'loading' || state.status === 'error') return <StartupPage state={state} />;
  const stage = state.status === 'signed-in' ? state.me.stage : null;
  const target = redirectFor(path, stage);
  if (target !== null && target !== path) return <Redirect to={target} />;
  return page(path);
}
