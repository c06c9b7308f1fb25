// Progressive enhancement of the discussion under a paper: every form there works without this file
// (it posts and the page comes back). With it, a form's fields go to the JSON API named by its
// data-api and data-method, and the section is swapped for a fresh copy of /discussion/<paper>, so
// nothing reloads. A refusal (empty, too long, too many comments) is shown beside the form; a reader
// whose session ended is sent the old way, to sign in.
"use strict";

function renderMath(element) {
  if (typeof window.renderMathInElement !== "function") return;
  window.renderMathInElement(element, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
}

function payload(form) {
  const body = {};
  for (const name of ["body", "reason"]) {
    if (form.elements[name]) body[name] = form.elements[name].value;
  }
  if (form.elements.parent) body.parent = Number(form.elements.parent.value);
  return Object.keys(body).length ? body : undefined;
}

async function refresh(section) {
  const order = section.dataset.order || "best";
  const url = `/discussion/${encodeURI(section.dataset.paper)}?comments=${encodeURIComponent(order)}`;
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  const fresh = template.content.querySelector("section.discussion");
  section.replaceWith(fresh);
  renderMath(fresh);
  return fresh;
}

async function send(form) {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const body = payload(form);
  const headers = { "X-CSRF-Token": token, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(form.dataset.api, {
    method: form.dataset.method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) return "sign-in";
  if (!response.ok) {
    let detail = `The server answered ${response.status}.`;
    try {
      detail = (await response.json()).detail || detail;
    } catch {
      // not a problem document: keep the status
    }
    return detail;
  }
  return null;
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("section.discussion form[data-api]");
  if (!form) return;
  event.preventDefault();
  const section = form.closest("section.discussion");
  const buttons = Array.from(form.querySelectorAll("button"));
  buttons.forEach((button) => { button.disabled = true; });
  try {
    let refused;
    try {
      refused = await send(form);
    } catch {
      form.submit(); // the API could not be reached: the form's own way
      return;
    }
    if (refused === "sign-in") {
      form.submit();
      return;
    }
    if (refused) {
      const error = form.querySelector(".form-error");
      if (error) {
        error.textContent = refused;
        error.hidden = false;
      }
      return;
    }
    const comment = form.closest("[data-comment]");
    try {
      const fresh = await refresh(section);
      const target = comment && fresh.querySelector(`#comment-${comment.dataset.comment}`);
      (target || fresh).scrollIntoView({ block: "nearest" });
    } catch {
      window.location.reload(); // done, but the fresh section could not be fetched
    }
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
});
