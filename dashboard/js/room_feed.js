// Follows a room's pushed state (server.api.room_push): one websocket, each message the whole
// state as JSON; reconnects with backoff after a drop, and says whether it is connected.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Call onState(state) for every pushed state of `path` (e.g. /ws/view/TOKEN); onLive(bool). */
export function followRoom(path, onState, onLive = () => {}) {
  let attempt = 0;
  let stopped = false;
  let socket = null;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}${path}`);
    socket.addEventListener("open", () => {
      attempt = 0;
      onLive(true);
    });
    socket.addEventListener("message", (event) => {
      try {
        onState(JSON.parse(event.data));
      } catch {
        // Not a state: ignore it, the next one will do.
      }
    });
    socket.addEventListener("close", () => {
      onLive(false);
      if (stopped) return;
      const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt++);
      setTimeout(connect, delay * (0.5 + Math.random() / 2));
    });
  };
  connect();
  return () => {
    stopped = true;
    socket?.close();
  };
}
