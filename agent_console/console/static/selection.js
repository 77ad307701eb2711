/*
 * Which of the counselor's text conversations is on screen: conversations.js chooses, the
 * note (note/open.js) follows it when there is no voice call. Without a choice (or once the
 * chosen one is gone), the oldest conversation held.
 */
let chosen = null;

/** The conversation card on screen in this snapshot, or null. */
export function chosenConversation(snap) {
  const list = snap && Array.isArray(snap.conversations) ? snap.conversations : [];
  return list.find((card) => card.call_id === chosen) || list[0] || null;
}

/** Show another conversation: its transcript and its note follow at once. */
export function choose(callId) {
  chosen = callId;
  document.dispatchEvent(new CustomEvent("hotline:conversation", { detail: callId }));
}
