// Page behaviour shared by every engine list, loaded as a file: the Content-Security-Policy runs no
// inline script that the page's own HTML did not carry.
(() => {
  if (window.__clssPopstate) return;
  window.__clssPopstate = true;
  const pending = () => { const l = document.getElementById('admin-list'); if (l) l.dataset.loading = '1'; };
  // Back/forward inside a list: the hidden button hands the popped query string to the server.
  window.addEventListener('popstate', () => { pending(); document.getElementById('admin-popstate')?.click(); });
  // Any control marked data-list-change dims the table until the server's reply clears the
  // mark (see AdminState._fetch); CSS waits 200 ms first, so quick replies never flicker.
  const marked = e => e.target.closest && e.target.closest('[data-list-change]');
  document.addEventListener('click', e => { const m = marked(e); if (m && m.tagName !== 'SELECT' && m.tagName !== 'FORM') pending(); }, true);
  document.addEventListener('change', e => { if (marked(e) && e.target.tagName === 'SELECT') pending(); }, true);
  document.addEventListener('submit', e => { if (marked(e)) pending(); }, true);
})();
// The sidebar (clss_app/ui/shell.py). Every page draws its own, which the browser would show scrolled to
// the top: its scroll position is kept here (per tab), and the open page's entry (aria-current) is
// scrolled into sight once if it is out of it. The collapsed choice lives in localStorage and on <html>,
// which outlives the pages; collapsed entries get their label as a tooltip.
(() => {
  if (window.__clssSidebar) return;
  window.__clssSidebar = true;
  const root = document.documentElement;
  const KEY = 'clss_sidebar', SCROLL = 'clss_sidebar_scroll';
  const stored = (store, key) => { try { return store.getItem(key); } catch (e) { return null; } };
  let collapsed = stored(localStorage, KEY) === 'collapsed';
  let top = Number(stored(sessionStorage, SCROLL)) || 0;
  const titles = all => document.querySelectorAll(`#clss-nav a[data-menu-key]${all ? '' : ':not([title])'}`)
    .forEach(a => { if (collapsed) a.title = a.textContent.trim(); else a.removeAttribute('title'); });
  const apply = () => {
    if (collapsed) root.dataset.sidebar = 'collapsed'; else delete root.dataset.sidebar;
    document.getElementById('sidebar-toggle')?.setAttribute('aria-expanded', String(!collapsed));
    titles(true);
  };
  apply();
  document.addEventListener('click', e => {
    if (!e.target.closest || !e.target.closest('#sidebar-toggle')) return;
    collapsed = !collapsed;
    try { localStorage.setItem(KEY, collapsed ? 'collapsed' : 'expanded'); } catch (err) { /* private mode */ }
    apply();
  });
  let seen = null, shown = null, pending = false;
  document.addEventListener('scroll', e => {
    if (e.target.id !== 'clss-nav' || pending) return;  // pending: our own restore, not the user's scroll
    top = e.target.scrollTop;
    try { sessionStorage.setItem(SCROLL, String(top)); } catch (err) { /* private mode */ }
  }, true);
  const reveal = nav => {
    // The mark follows the server's idea of the path, a moment behind the address bar: wait for it.
    const a = nav.querySelector('a[aria-current="page"]'), here = location.pathname.replace(/\/$/, '') || '/';
    if (!a || a === shown || a.getAttribute('href') !== here) return;
    shown = a;
    const n = nav.getBoundingClientRect(), r = a.getBoundingClientRect();
    if (r.top < n.top) nav.scrollTop += r.top - n.top - 8;
    else if (r.bottom > n.bottom) nav.scrollTop += r.bottom - n.bottom + 8;
  };
  // A new page's menu fills in as the server answers (its entries, then the open one): restore the
  // position once it can hold it (or after 3 s), then reveal the open entry.
  new MutationObserver(() => {
    const nav = document.getElementById('clss-nav');
    if (!nav) return;
    if (nav !== seen) {
      seen = nav; pending = true; apply();
      setTimeout(() => { if (seen === nav && pending) { pending = false; reveal(nav); } }, 3000);
    }
    if (collapsed) titles(false);
    if (pending) {
      nav.scrollTop = top;
      if (Math.abs(nav.scrollTop - top) > 1) return;
      pending = false;
    }
    reveal(nav);
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-current'] });
})();
