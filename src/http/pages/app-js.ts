// The UI's only script, served from /static/app.js with the page's nonce.
// Progressive enhancement only: every page works without it.
export const appJs = `'use strict';
document.addEventListener('submit', function (e) {
  var f = e.target;
  if (f instanceof HTMLFormElement && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
});
`;
