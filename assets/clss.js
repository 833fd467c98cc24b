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
// Date inputs (admin/components: filters and forms) are text boxes typed yyyy-mm-dd, with this calendar:
// the browser's own date input follows the browser's language (mm/dd/yyyy in an en-US Chromium),
// whatever the page's lang says. The calendar opens under an input marked data-date-picker, reads
// 2026年12月 and 一…日, and writes the day as the user would type it: the input's own events tell
// React (an input event), and a filter's blur applies it.
(() => {
  if (window.__clssDates) return;
  window.__clssDates = true;
  const pad = n => String(n).padStart(2, '0');
  const iso = d => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const parse = v => { const m = /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(v || ''); return m ? new Date(+m[1], +m[2] - 1, +m[3]) : null; };
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  let pop = null, input = null, month = null;
  const close = () => { pop?.remove(); pop = null; input = null; };
  const write = value => {
    const el = input;
    const keep = el.value.length > 10 ? el.value.slice(10) : (el.dataset.datePicker === 'datetime' ? ' 09:00' : '');
    setter.call(el, value + keep);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    close();
    el.blur();  // a filter applies on blur
  };
  const draw = () => {
    const y = month.getFullYear(), m = month.getMonth();
    const chosen = input.value.slice(0, 10), today = iso(new Date());
    const first = (new Date(y, m, 1).getDay() + 6) % 7;  // weeks start on Monday
    const days = new Date(y, m + 1, 0).getDate();
    let cells = '';
    for (let i = 0; i < first; i++) cells += '<span></span>';
    for (let d = 1; d <= days; d++) {
      const v = `${y}-${pad(m + 1)}-${pad(d)}`;
      cells += `<button type="button" data-day="${v}" class="${v === chosen ? 'on' : ''}${v === today ? ' today' : ''}">${d}</button>`;
    }
    pop.innerHTML = `<div class="clss-cal-head"><button type="button" data-step="-12" aria-label="上一年">«</button>`
      + `<button type="button" data-step="-1" aria-label="上个月">‹</button><strong>${y}年${m + 1}月</strong>`
      + `<button type="button" data-step="1" aria-label="下个月">›</button><button type="button" data-step="12" aria-label="下一年">»</button></div>`
      + `<div class="clss-cal-week">${['一', '二', '三', '四', '五', '六', '日'].map(w => `<span>${w}</span>`).join('')}</div>`
      + `<div class="clss-cal-days">${cells}</div>`
      + `<div class="clss-cal-foot"><button type="button" data-day="${today}">今天</button><button type="button" data-clear="1">清除</button></div>`;
  };
  const open = el => {
    if (input === el) return;
    close();
    input = el;
    const d = parse(el.value) || new Date();
    month = new Date(d.getFullYear(), d.getMonth(), 1);
    pop = document.createElement('div');
    pop.className = 'clss-cal';
    pop.id = 'clss-calendar';
    // Inside a dialog, in the dialog (its focus trap ignores the rest of the page).
    const host = el.closest('[role="dialog"]') || document.body;
    if (host !== document.body && getComputedStyle(host).position === 'static') host.style.position = 'relative';
    host.appendChild(pop);
    const r = el.getBoundingClientRect(), h = host.getBoundingClientRect();
    const fixed = host === document.body;
    pop.style.position = fixed ? 'fixed' : 'absolute';
    const top = r.bottom + 4, left = Math.min(r.left, window.innerWidth - 260);
    pop.style.top = `${fixed ? top : top - h.top + host.scrollTop}px`;
    pop.style.left = `${fixed ? left : left - h.left + host.scrollLeft}px`;
    draw();
  };
  document.addEventListener('focusin', e => {
    const el = e.target.closest && e.target.closest('input[data-date-picker]:not([data-date-picker=""])');
    if (el) open(el); else if (pop && !pop.contains(e.target)) close();
  });
  document.addEventListener('mousedown', e => {
    if (!pop) return;
    if (pop.contains(e.target)) { e.preventDefault(); return; }  // keep the input's focus
    if (e.target !== input) close();
  }, true);
  document.addEventListener('click', e => {
    if (!pop || !pop.contains(e.target)) return;
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.step) { month = new Date(month.getFullYear(), month.getMonth() + Number(b.dataset.step), 1); draw(); }
    else if (b.dataset.day) write(b.dataset.day);
    else if (b.dataset.clear) { const el = input; setter.call(el, ''); el.dispatchEvent(new Event('input', { bubbles: true })); close(); el.blur(); }
  });
  document.addEventListener('keydown', e => { if (pop && e.key === 'Escape') { e.stopPropagation(); close(); } }, true);
  // Enter in a range filter applies it as leaving the box does (the server names a value it cannot read).
  document.addEventListener('keydown', e => {
    const el = e.target;
    if (e.key === 'Enter' && el instanceof HTMLInputElement && (el.name || '').startsWith('f_')) { close(); el.blur(); }
  });
  window.addEventListener('scroll', e => { if (pop && !pop.contains(e.target) && pop.style.position === 'fixed') close(); }, true);
})();
// 更多筛选: opens and closes the list's other filters in the page.
(() => {
  if (window.__clssMore) return;
  window.__clssMore = true;
  document.addEventListener('click', e => {
    const b = e.target.closest && e.target.closest('#more-filters');
    if (!b) return;
    const bar = document.getElementById('admin-filters');
    if (!bar) return;
    if (bar.dataset.more) delete bar.dataset.more; else bar.dataset.more = '1';
    b.setAttribute('aria-expanded', bar.dataset.more ? 'true' : 'false');
  });
})();

// 抄表录入 (pages/meter_entry.py): Enter in a reading moves to the next row's, as Tab moves to the next box.
// (The ids sit on the <input> itself; a class name would land on the text field's wrapper.)
document.addEventListener('keydown', e => {
  const el = e.target;
  if (e.key !== 'Enter' || !(el instanceof HTMLInputElement) || !/^meter-(input|old_final|new_initial)-/.test(el.id)) return;
  e.preventDefault();
  const row = el.closest('tr');
  const next = [...document.querySelectorAll('input[id^="meter-input-"]')].find(
    c => row && c.closest('tr') !== row && (row.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING));
  if (next) { next.focus(); next.select(); } else { el.blur(); }
});
