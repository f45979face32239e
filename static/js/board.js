// The board: drag a card to another column, or pick a column in the card's own menu, and the
// move is posted with the version the board showed. The server refuses a stale move; the card
// then stays where it was and the message says why. Without this script the menu's Move button
// posts the same form and the page reloads.
(function () {
  "use strict";
  var board = document.querySelector("[data-board]");
  if (!board) return;
  document.documentElement.classList.add("js");
  var status = document.getElementById("board-status");
  var dragged = null;

  function column(name) {
    return board.querySelector('.board-column[data-status="' + name + '"]');
  }

  function say(kind, text) {
    status.innerHTML = "";
    var alert = document.createElement("div");
    alert.className = "alert alert-" + kind;
    alert.textContent = text;
    status.appendChild(alert);
  }

  function bump(name, by) {
    var count = column(name).querySelector("[data-count]");
    count.textContent = String(Number(count.textContent) + by);
  }

  function move(card, target) {
    var from = card.dataset.status;
    var form = card.querySelector("form.move-form");
    var select = form.querySelector("select[name=status]");
    if (target === from) return;
    var data = new FormData(form);
    data.set("status", target);
    card.classList.add("is-busy");
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (answer.ok) {
        column(target).querySelector(".board-cards").prepend(card);
        card.dataset.status = target;
        form.querySelector("input[name=version]").value = answer.body.version;
        select.value = target;
        bump(from, -1);
        bump(target, 1);
        say("success", answer.body.message);
      } else {
        select.value = from;
        say("error", answer.body.error || "The task was not moved.");
      }
    }).catch(function () {
      select.value = from;
      say("error", "The server could not be reached, so nothing was moved. Try again.");
    }).finally(function () {
      card.classList.remove("is-busy");
    });
  }

  board.addEventListener("change", function (event) {
    if (event.target.matches("form.move-form select")) {
      move(event.target.closest(".task-card"), event.target.value);
    }
  });

  board.addEventListener("dragstart", function (event) {
    dragged = event.target.closest(".task-card");
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.testid || "");
    dragged.classList.add("is-dragging");
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    board.querySelectorAll(".board-column.is-over").forEach(function (el) {
      el.classList.remove("is-over");
    });
  });

  board.addEventListener("dragover", function (event) {
    var target = event.target.closest(".board-column");
    if (!dragged || !target) return;
    event.preventDefault();  // allows the drop
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".board-column.is-over").forEach(function (el) {
      if (el !== target) el.classList.remove("is-over");
    });
    target.classList.add("is-over");
  });

  board.addEventListener("drop", function (event) {
    var target = event.target.closest(".board-column");
    if (!dragged || !target) return;
    event.preventDefault();
    target.classList.remove("is-over");
    move(dragged, target.dataset.status);
  });
})();
