// The print view's "In trang này" button. The page shows a hint to use the browser's own Print command;
// when this script runs, the button takes the hint's place. No inline handler: the portal's
// Content-Security-Policy allows scripts from the portal's own files only.
for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
  button.hidden = false;
}
for (const hint of document.querySelectorAll('[data-print-hint]')) hint.hidden = true;
