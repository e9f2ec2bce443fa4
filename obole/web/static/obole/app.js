/* Obole: a little plain JavaScript that makes the social pages feel live.
 *
 * Every form and link here works without it (the server answers with a
 * redirect or a page). With it, forms are sent with fetch and the header
 * X-Obole-Fragment: 1, and the server answers with only the piece of page
 * to swap in (a status card, the follow buttons, a page of cards) or, when it
 * refuses, the reason as text. Focus stays where the member was, and changes
 * are announced in the polite live region #announcer.
 */
(function () {
  "use strict";

  var URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
  var URL_LENGTH = 23; // as the server counts: every link is 23 characters

  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    // A fresh text node after a tick is announced even if the message repeats.
    window.setTimeout(function () { region.textContent = message; }, 50);
  }

  function fragmentOf(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  function send(form, body) {
    return fetch(form.action, {
      method: "POST",
      body: body || new FormData(form),
      headers: { "X-Obole-Fragment": "1" },
      credentials: "same-origin",
    });
  }

  function signedOut(response) {
    return response.redirected && response.url.indexOf("/auth/sign_in") !== -1;
  }

  /* --- the compose box: counter and posting in place ------------------------------ */

  function length(text) {
    return Array.from(text.trim().replace(URL_PATTERN, "x".repeat(URL_LENGTH))).length;
  }

  function updateCounter(form) {
    var textarea = form.querySelector("textarea[data-max]");
    var counter = form.querySelector("[data-counter]");
    if (!textarea || !counter) return;
    var max = parseInt(textarea.getAttribute("data-max"), 10);
    var warning = form.querySelector("[name=spoiler_text]");
    var used = length(textarea.value) + (warning ? Array.from(warning.value).length : 0);
    var left = max - used;
    var over = left < 0;
    counter.textContent = over
      ? -left + " character" + (left === -1 ? "" : "s") + " too many"
      : left + " character" + (left === 1 ? "" : "s") + " left";
    counter.classList.toggle("over", over);
    if (over !== (textarea.getAttribute("aria-invalid") === "true")) {
      textarea.setAttribute("aria-invalid", over ? "true" : "false");
      announce(over ? "Your post is too long." : "Your post fits again.");
    }
  }

  function showComposeError(form, message) {
    var error = form.querySelector("[data-compose-error]");
    if (error) {
      error.textContent = message;
      error.id = error.id || "compose-error";
      var textarea = form.querySelector("textarea");
      textarea.setAttribute("aria-describedby", "compose-counter " + error.id);
    }
  }

  function compose(form) {
    var button = form.querySelector("button[type=submit]");
    var textarea = form.querySelector("textarea");
    button.disabled = true;
    showComposeError(form, "");
    send(form)
      .then(function (response) {
        if (signedOut(response)) { window.location.reload(); return null; }
        return response.text().then(function (body) { return { response: response, body: body }; });
      })
      .then(function (result) {
        if (!result) return;
        if (!result.response.ok) {
          showComposeError(form, result.body);
          announce(result.body);
          textarea.focus();
          return;
        }
        var replying = form.querySelector("[name=in_reply_to_id]");
        var feed = document.querySelector("[data-feed]");
        var posted = fragmentOf(result.body);
        var card = posted.querySelector("article[data-card]");
        // The live timeline (live.js) may have shown the post already, if the streaming
        // server's news of it came before this answer: then it is not added twice.
        if (feed && !(card && document.getElementById(card.id))) {
          var item = document.createElement("li");
          item.appendChild(posted);
          var empty = feed.querySelector(".empty");
          if (empty) empty.remove();
          if (replying) feed.appendChild(item); else feed.insertBefore(item, feed.firstChild);
        }
        textarea.value = replying ? textarea.defaultValue : "";
        var warning = form.querySelector("[name=spoiler_text]");
        if (warning) warning.value = "";
        form.querySelectorAll("[data-picture]").forEach(function (field) {
          if (field.type === "checkbox") field.checked = false; else field.value = "";
        });
        updateCounter(form);
        announce(replying ? "Your reply is posted." : "Your post is posted.");
        textarea.focus();
      })
      .catch(function () { form.submit(); })
      .finally(function () { button.disabled = false; });
  }

  /* --- like, repost, delete on a status card --------------------------------------- */

  function cardAction(form, submitter) {
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) return;
    var article = form.closest("article");
    var action = submitter ? submitter.getAttribute("data-action") : null;
    var wasPressed = submitter && submitter.getAttribute("aria-pressed") === "true";
    send(form)
      .then(function (response) {
        if (signedOut(response)) { window.location.reload(); return null; }
        return response.text().then(function (body) { return { response: response, body: body }; });
      })
      .then(function (result) {
        if (!result) return;
        if (!result.response.ok) {
          var footer = article.querySelector(".actions");
          var note = article.querySelector(".action-error") || document.createElement("p");
          note.className = "action-error error";
          note.setAttribute("role", "alert");
          note.textContent = result.body;
          footer.after(note);
          return;
        }
        if (action === "delete") {
          var item = article.closest("li") || article;
          var next = item.nextElementSibling || item.previousElementSibling;
          item.remove();
          announce(result.body || "Post deleted.");
          var target = next && next.querySelector("article");
          (target || document.getElementById("main")).focus();
          return;
        }
        var replacement = fragmentOf(result.body).querySelector("article");
        article.replaceWith(replacement);
        var again = action && replacement.querySelector('[data-action="' + action + '"]');
        if (again) again.focus();
        var names = {
          like: ["Liked.", "Like removed."],
          repost: ["Reposted.", "Repost removed."],
          pin: ["Pinned to your profile.", "Unpinned from your profile."],
        };
        if (names[action]) announce(names[action][wasPressed ? 1 : 0]);
      })
      .catch(function () { form.submit(); });
  }

  /* --- follow, block, mute ------------------------------------------------------------ */

  function accountAction(form) {
    var box = form.closest("[data-relationship]");
    send(form)
      .then(function (response) {
        if (signedOut(response) || !response.ok) {
          // A refusal (402, 403) is a page that explains it: show it.
          form.submit();
          return null;
        }
        return response.text();
      })
      .then(function (body) {
        if (body === null || body === undefined) return;
        var replacement = fragmentOf(body).querySelector("[data-relationship]");
        box.replaceWith(replacement);
        var said = replacement.querySelector("[data-announce]");
        if (said) announce(said.textContent);
        var focusable = replacement.querySelector("button, a, summary");
        if (focusable) focusable.focus();
      })
      .catch(function () { form.submit(); });
  }

  /* --- "Load more" -------------------------------------------------------------------- */

  function loadMore(link) {
    var feed = document.querySelector("[data-feed]");
    if (!feed) { window.location.href = link.href; return; }
    link.setAttribute("aria-busy", "true");
    link.textContent = "Loading…";
    fetch(link.href, { headers: { "X-Obole-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (body) {
        var fragment = fragmentOf(body);
        var items = fragment.querySelectorAll("[data-feed] > li:not(.empty)");
        var first = null;
        items.forEach(function (item) {
          feed.appendChild(item);
          first = first || item.querySelector("article");
        });
        var more = link.closest(".more");
        var nextMore = fragment.querySelector(".more");
        if (nextMore) more.replaceWith(nextMore); else more.remove();
        announce(items.length + " more loaded.");
        if (first) first.focus();
      })
      .catch(function () { window.location.href = link.href; });
  }

  /* --- wiring --------------------------------------------------------------------------- */

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!window.fetch || !(form instanceof HTMLFormElement)) return;
    if (form.hasAttribute("data-compose")) {
      event.preventDefault();
      compose(form);
    } else if (form.hasAttribute("data-card-action")) {
      event.preventDefault();
      cardAction(form, event.submitter || form.querySelector("button"));
    } else if (form.hasAttribute("data-account-action")) {
      event.preventDefault();
      accountAction(form);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-load-more]");
    if (!link || !window.fetch || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    loadMore(link);
  });

  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-compose")) updateCounter(form);
  });

  document.querySelectorAll("form[data-compose]").forEach(function (form) {
    updateCounter(form);
    // Arriving from a "Reply" link (#compose), start typing at once, after the mentions.
    if (window.location.hash === "#compose") {
      var textarea = form.querySelector("textarea");
      textarea.focus();
      textarea.setSelectionRange(textarea.value.length, textarea.value.length);
    }
  });
})();
