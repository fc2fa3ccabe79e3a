import { lazy, Suspense, useState } from 'react';
import { Link, Route, Router, Switch, useLocation } from 'wouter';
import { AuthProvider, useAuth } from './auth.js';
import { Loading } from './components/ui.js';
import Documents from './pages/Documents.js';
import Inbox from './pages/Inbox.js';
import { SignIn } from './pages/SignIn.js';

// The two pages people land on are in the first bundle: a lazy page only appears after React's Suspense reveal
// throttle (~300 ms), which the documents page's first rows cannot afford. The rest load on demand; pdf.js and
// uPlot only with the pages that draw with them.
const DocumentPage = lazy(() => import('./pages/Document.js'));
const Review = lazy(() => import('./pages/Review.js'));
const Costs = lazy(() => import('./pages/Costs.js'));
const Batches = lazy(() => import('./pages/Batches.js'));
const System = lazy(() => import('./pages/System.js'));

const NAV: { href: string; label: string }[] = [
  { href: '/', label: 'Inbox' },
  { href: '/documents', label: 'Documents' },
  { href: '/review', label: 'Review' },
  { href: '/costs', label: 'Costs' },
  { href: '/batches', label: 'Batches' },
  { href: '/system', label: 'System' },
];

function isCurrent(location: string, href: string): boolean {
  return href === '/' ? location === '/' : location === href || location.startsWith(`${href}/`);
}

function Shell() {
  const { state, signOut } = useAuth();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  if (state.status === 'checking') return <Loading label="Starting autod…" />;
  if (state.status === 'signed-out') return <SignIn reason={state.reason} />;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          autod
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? 'nav open' : 'nav'}>
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={isCurrent(location, item.href) ? 'page' : undefined}
                  onClick={() => setMenuOpen(false)}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="button button-quiet sign-out" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Suspense fallback={<Loading />}>
          <Switch>
            <Route path="/" component={Inbox} />
            <Route path="/documents" component={Documents} />
            <Route path="/documents/:id">{(params) => <DocumentPage id={params.id} />}</Route>
            <Route path="/review" component={Review} />
            <Route path="/costs" component={Costs} />
            <Route path="/batches" component={Batches} />
            <Route path="/system" component={System} />
            <Route>
              <div className="empty">
                <h1>Page not found</h1>
                <p>
                  <Link href="/">Go to the inbox</Link>
                </p>
              </div>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </div>
  );
}

export function App({ ssrPath }: { ssrPath?: string }) {
  return (
    <AuthProvider>
      <Router {...(ssrPath ? { ssrPath } : {})}>
        <Shell />
      </Router>
    </AuthProvider>
  );
}
