import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { prefetchDocuments } from './pages/Documents.js';
import './styles.css';

// The documents page's list is requested at once, beside the session check (render-as-you-fetch).
if (window.location.pathname === '/documents') prefetchDocuments(window.location.search);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
