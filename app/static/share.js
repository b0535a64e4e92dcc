/* « Copier le lien » (templates/dsfr/share.html): shown only where the page may write to the
   clipboard; the link stays in its field for everyone else. A file, not an inline script: the
   Content-Security-Policy allows scripts from ROMIN's own address only. */
if (navigator.clipboard && window.isSecureContext) {
  for (const button of document.querySelectorAll("[data-romin-copy]")) {
    const field = document.getElementById(`${button.dataset.rominCopy}-lien`);
    const status = document.getElementById(`${button.dataset.rominCopy}-statut`);
    button.closest("li").hidden = false;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(field.value).then(
        () => { status.textContent = "Lien copié : collez-le où vous voulez le partager."; },
        () => {
          status.textContent = "La copie n'a pas abouti : sélectionnez le lien ci-dessous et copiez-le.";
          field.select();
        },
      );
    });
  }
}
