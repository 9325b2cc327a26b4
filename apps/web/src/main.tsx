import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { auth } from './lib/auth';
import { App } from './app/App';

// The silent sign-in (started by public/boot.js) is picked up at once.
void auth.init();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
