// Progressive enhancement only: every page works without this file.
// Renders TeX in elements marked data-math with the bundled KaTeX, and turns the upvote and save
// forms (a new collection too) into fetch calls of the JSON API, so pressing them changes no page; fills in the time zone
// of digest sign-up forms.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (typeof window.renderMathInElement !== "function") return;
  const options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  };
  for (const element of document.querySelectorAll("[data-math]")) {
    window.renderMathInElement(element, options);
  }
});

// A JSON API call with this browser's session and CSRF token. A reader whose session ended meanwhile
// is sent to sign in (then back to the paper); any other failure submits the form the old way, so
// the server's page explains it.
async function callApi(form, method, url, body) {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const headers = { "X-CSRF-Token": token, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) {
    form.submit();
    return null;
  }
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status}`);
  return response.json();
}

async function vote(form) {
  const wanted = form.elements.voted.value === "true";
  const state = await callApi(form, wanted ? "POST" : "DELETE", form.dataset.api);
  if (!state) return;
  // The same paper may have several buttons on a page; keep them all in step.
  for (const other of document.querySelectorAll(`form.vote[data-api="${CSS.escape(form.dataset.api)}"]`)) {
    other.elements.voted.value = String(!state.voted);
    other.querySelector("button").setAttribute("aria-pressed", String(state.voted));
    other.querySelector(".vote-count").textContent = state.votes;
  }
}

// A save menu button adds the paper to its collection or removes it ("add:<id>" / "remove:<id>";
// an empty id is the reader's "Saved" collection, which the first save creates).
async function save(form, submitter) {
  if (!submitter || submitter.name !== "change") throw new Error("no collection was chosen");
  const [action, collection] = submitter.value.split(":");
  const target = encodeURIComponent(collection || "default");
  const url = `/api/v1/collections/${target}/papers/${encodeURI(form.dataset.paper)}`;
  const state = await callApi(form, action === "add" ? "PUT" : "DELETE", url);
  if (!state) return;
  submitter.value = `${state.saved ? "remove" : "add"}:${state.collection.id}`;
  submitter.setAttribute("aria-pressed", String(state.saved));
  const summary = form.querySelector("summary");
  if (summary) {
    const held = form.querySelector('.save-option[aria-pressed="true"]') !== null;
    summary.setAttribute("aria-pressed", String(held));
    summary.querySelector(".save-label").textContent = held ? "Saved" : "Save";
  }
}

// "New collection…" in a save menu: create the collection, save the paper into it and add it to
// the menu, ticked. A name already taken (409) submits the form, so the server's page says so.
async function createAndSave(form) {
  const name = form.elements.name.value.trim();
  if (!name) throw new Error("no name was given");
  const created = await callApi(form, "POST", "/api/v1/collections", { name });
  if (!created) return;
  const url = `/api/v1/collections/${encodeURIComponent(created.id)}/papers/${encodeURI(form.dataset.paper)}`;
  const state = await callApi(form, "PUT", url);
  if (!state) return;
  form.elements.name.value = "";
  const menu = document.querySelector(`form.save-form[data-paper="${CSS.escape(form.dataset.paper)}"]`);
  if (!menu) return;
  const option = document.createElement("button");
  option.type = "submit";
  option.className = "save-option";
  option.name = "change";
  option.value = `remove:${state.collection.id}`;
  option.dataset.collection = state.collection.id;
  option.setAttribute("aria-pressed", "true");
  option.textContent = state.collection.name;
  menu.querySelector(".save-new").before(option);
  const summary = menu.querySelector("summary");
  summary.setAttribute("aria-pressed", "true");
  summary.querySelector(".save-label").textContent = "Saved";
}

const enhanced = { "form.vote": vote, "form.save-form": save, "form.save-new-form": createAndSave };

// The old way, as if the script were absent: the pressed button's name and value go along.
function submitPlainly(form, submitter) {
  if (submitter && submitter.name) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = submitter.name;
    field.value = submitter.value;
    form.append(field);
  }
  form.submit();
}

document.addEventListener("submit", async (event) => {
  for (const [selector, handler] of Object.entries(enhanced)) {
    const form = event.target.closest(selector);
    // A visitor's button (no CSRF field) just posts: the server sends them to sign in, and does it then.
    if (!form || !form.querySelector('input[name="csrf_token"]')) continue;
    event.preventDefault();
    // Its buttons, also those outside it that name it (form="..."); its fields must stay enabled to be sent.
    const buttons = Array.from(form.elements).filter((element) => element.tagName === "BUTTON");
    buttons.forEach((button) => { button.disabled = true; });
    try {
      await handler(form, event.submitter);
    } catch {
      submitPlainly(form, event.submitter);
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
    }
    return;
  }
});

// Digest sign-up forms send the browser's time zone, so the first digest comes at local time.
document.addEventListener("DOMContentLoaded", () => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  for (const field of document.querySelectorAll("input[data-local-timezone]")) field.value = zone;
});
