import { Routes } from './Routes';
import { SessionProvider } from './session/SessionContext';
import { StepUpProvider } from './session/StepUpProvider';

/** The whole app: session first, then step-up (which needs the session), then the pages. */
export function App() {
  return (
    <SessionProvider>
      <StepUpProvider>
        <Routes />
      </StepUpProvider>
    </SessionProvider>
  );
}
