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
