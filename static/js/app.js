// Behaviour every page shares, kept out of the markup: the Content-Security-Policy runs no
// inline script or event-handler attribute.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
