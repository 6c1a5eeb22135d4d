// SMS simulator: posts what is typed to /sms-simulator/send (a signed Twilio webhook is made
// there) and polls /sms-simulator/messages for what the assistant sent, with segment counts.
// The server shows a number's replies only to the page (its HttpOnly cookie) that used the
// number first: before this page sent anything from it, the poll is refused (403) and ignored.
(function () {
  "use strict";
  var phone = document.getElementById("phone");
  var log = document.getElementById("messages");
  var form = document.getElementById("composer");
  var body = document.getElementById("body");
  var status = document.getElementById("status");
  var last = 0;
  var stored = window.sessionStorage.getItem("npt_sim_phone");
  phone.value = stored || "+336" + String(Math.floor(10000000 + Math.random() * 89999999));
  window.sessionStorage.setItem("npt_sim_phone", phone.value);

  function add(kind, text, cost) {
    var bubble = document.createElement("p");
    bubble.className = "sms " + kind;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = kind === "in" ? "L'assistant : " : "Vous : ";
    bubble.appendChild(who);
    bubble.appendChild(document.createTextNode(text));
    if (cost) {
      var small = document.createElement("span");
      small.className = "cost";
      small.textContent = cost;
      bubble.appendChild(small);
    }
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function poll() {
    fetch("/sms-simulator/messages?phone=" + encodeURIComponent(phone.value) + "&after=" + last,
          {credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 403) { return {messages: []}; }  // not (yet) a number of this page
        return r.json();
      })
      .then(function (data) {
        (data.messages || []).forEach(function (m) {
          last = Math.max(last, m.id);
          add("in", m.body, m.segments + " segment" + (m.segments > 1 ? "s" : "") + " · " + m.encoding);
        });
      })
      .catch(function () { status.textContent = "Le simulateur ne répond pas."; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = body.value;
    add("out", text || "(message vide)");
    body.value = "";
    fetch("/sms-simulator/send", {method: "POST", credentials: "same-origin",
                                  headers: {"Content-Type": "application/json"},
                                  body: JSON.stringify({phone: phone.value, body: text})})
      .then(function (r) {
        if (r.ok) { status.textContent = ""; return; }
        return r.json().then(function (data) {
          status.textContent = (r.status === 403 && data && data.error) ? data.error
            : "Le message n'a pas pu partir.";
        });
      })
      .catch(function () { status.textContent = "Le message n'a pas pu partir."; });
  });
  body.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  phone.addEventListener("change", function () {
    window.sessionStorage.setItem("npt_sim_phone", phone.value);
    log.textContent = ""; last = 0;
  });
  window.setInterval(poll, 1000);
}());
