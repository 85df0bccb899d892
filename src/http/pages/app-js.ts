// The UI's only script, served from /static/app.js with the page's nonce.
// Progressive enhancement only: every page works without it.
export const appJs = `'use strict';
document.addEventListener('submit', function (e) {
  var f = e.target;
  if (f instanceof HTMLFormElement && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
});
// Live inbox (issue 11): new mail is added to the first page of an inbox as it
// becomes ready, from /inbox/{address}/events. Message text goes in with
// textContent only. Without JavaScript the Refresh link does the same.
(function () {
  var h = document.querySelector('[data-live-inbox]');
  if (!h || !window.EventSource) return;
  var inbox = h.getAttribute('data-live-inbox');
  var status = document.createElement('p');
  status.className = 'muted live-status';
  status.setAttribute('role', 'status');
  status.textContent = 'Connecting for live updates…';
  h.insertAdjacentElement('afterend', status);
  var es = new EventSource('/inbox/' + encodeURIComponent(inbox) + '/events');
  function live() {
    status.dataset.state = 'live';
    status.textContent = 'Live: new mail appears here as it arrives.';
  }
  es.addEventListener('open', live);
  es.onerror = function () {
    status.dataset.state = 'lost';
    status.textContent = 'Live updates lost; retrying. Reload to see new mail.';
  };
  es.addEventListener('message', function (e) {
    var m = JSON.parse(e.data);
    var body = document.querySelector('table.list tbody');
    if (!body) {
      window.location.reload();
      return;
    }
    if (body.querySelector('tr[data-id="' + CSS.escape(m.id) + '"]')) return;
    var tr = document.createElement('tr');
    tr.className = 'message unread live-new';
    tr.dataset.id = m.id;
    function cell(text, cls) {
      var td = document.createElement('td');
      td.className = cls;
      td.textContent = text;
      tr.appendChild(td);
      return td;
    }
    cell(m.from, 'from');
    var subject = cell('', 'subject');
    var a = document.createElement('a');
    a.href = m.href;
    a.textContent = m.parseState === 'pending' ? 'Processing…' : m.subject || '(no subject)';
    subject.appendChild(a);
    cell(m.received.replace('T', ' ').replace(/\\.\\d+Z$/, ' UTC'), 'time');
    cell(m.size < 1024 ? m.size + ' B' : Math.round(m.size / 1024) + ' KB', 'num');
    cell(m.attachments ? '📎 ' + m.attachments : '', 'num');
    body.insertBefore(tr, body.firstChild);
  });
})();
`;
