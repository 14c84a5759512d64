// The chat page's script: log in, join a room over a WebSocket, send and show messages.
// No library and no CDN. Every address is relative to the page, so the page works
// behind a prefix (a Jupyter server's proxy) as well as at the root.
"use strict";

const byId = (id) => document.getElementById(id);
let socket = null;

function show(line) {
  const item = document.createElement("li");
  item.textContent = line; // text, never HTML: a message cannot inject markup
  byId("log").append(item);
}

function describe(message) {
  if (message.type === "message") return `${message.user}: ${message.text}`;
  return `${message.user} ${message.type} ${message.room} (${message.members} here)`;
}

async function logIn(email, password) {
  const form = new URLSearchParams({ username: email, password: password });
  const answer = await fetch("auth/token", { method: "POST", body: form });
  if (!answer.ok) throw new Error(`login refused (${answer.status})`);
  return (await answer.json()).access_token; // kept in memory only, not in localStorage
}

function join(room, token) {
  const url = new URL(`ws/chat/${encodeURIComponent(room)}`, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  // A browser sets no Authorization header on a WebSocket: the token travels as the
  // second subprotocol, and the server answers with the first one, "bearer".
  socket = new WebSocket(url, ["bearer", token]);
  socket.onopen = () => { byId("status").textContent = `in ${room}`; };
  socket.onmessage = (event) => show(describe(JSON.parse(event.data)));
  socket.onclose = (event) => {
    byId("status").textContent = `closed (${event.code}${event.reason ? ": " + event.reason : ""})`;
  };
}

byId("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (socket) socket.close();
  try {
    join(byId("room").value, await logIn(byId("email").value, byId("password").value));
  } catch (error) {
    byId("status").textContent = error.message;
  }
});

byId("send").addEventListener("submit", (event) => {
  event.preventDefault();
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(byId("text").value);
    byId("text").value = "";
  }
});
