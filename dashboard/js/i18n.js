// Japanese and English strings, the current language, and how the page follows it.
// Static text is marked up with data-i18n="key" (text), data-i18n-aria-label="key"
// and data-i18n-title="key"; dynamic text calls t().

const STORAGE_KEY = "freeseat.lang";
export const LANGUAGES = Object.freeze(["en", "ja"]);

const STRINGS = {
  en: {
    "skip.side": "Skip to legend and desk details",
    "floor.label": "Floor",
    "floor.option": "{name}: {free} free of {desks}",
    "floor.none": "No floors are configured. Add floors to the site file.",
    "counts.label": "Desks on this floor by state",
    "counts.total": "{n} desks",
    "state.free": "Free",
    "state.held": "Held",
    "state.occupied": "Occupied",
    "state.away": "Away",
    "state.unknown": "Unknown",
    "state.blocked": "Blocked",
    "state.help.free": "Open outline: nobody is here; you can sit.",
    "state.help.held": "Clock: reserved for someone on their way.",
    "state.help.occupied": "Filled with a person: taken.",
    "state.help.away": "Round with a pause sign: its user stepped away.",
    "state.help.unknown": "Dashed with ?: the sensor is offline.",
    "state.help.blocked": "Hatched: out of service.",
    "live.connecting": "Connecting…",
    "live.live": "Live",
    "live.reconnecting": "Reconnecting…",
    "live.offline": "Offline, retrying…",
    "lang.label": "Language",
    "legend.title": "Legend",
    "map.label": "Floor map of {floor}: {desks} desks",
    "map.hint": "Drag to pan, scroll or +/− to zoom. Tab to the desks, arrows to move, Enter for details.",
    "map.loading": "Loading floor…",
    "zoom.in": "Zoom in",
    "zoom.out": "Zoom out",
    "zoom.reset": "Reset view",
    "desk.aria": "Desk {id}, {state}",
    "desk.title": "{id}\n{state}\nSince {since}",
    "details.title": "Desk {id}",
    "details.close": "Close",
    "details.id": "Desk ID",
    "details.zone": "Zone",
    "details.department": "Department",
    "details.equipment": "Equipment",
    "details.state": "State",
    "details.since": "Since",
    "details.reason": "Reason",
    "details.none": "None",
    "details.empty": "Select a desk on the map to see its details.",
    "equipment.monitor": "Monitor",
    "equipment.dual-monitor": "Dual monitors",
    "equipment.dock": "Docking station",
    "equipment.standing": "Standing desk",
    "equipment.accessible": "Accessible",
    "equipment.phone-booth": "Phone booth",
    "room.label": "{name} ({capacity} seats)",
    "room.capacity": "{n} seats",
    "ap.label": "Wi-Fi access point {id}",
    "error.floors": "Could not load the floor list ({detail}). Retrying in a few seconds…",
    "error.floor": "Could not load floor {floor} ({detail}). Retrying in a few seconds…",
    "time.unknown": "unknown",
    "nav.label": "Views",
    "nav.staff": "Floor map",
    "nav.facilities": "Facilities",
    "nav.host": "Meetings",
    "nav.board": "Lobby board",
    "facilities.scope": "Scope",
    "facilities.allFloors": "All floors",
    "facilities.window": "Period",
    "facilities.days1": "Last 24 hours",
    "facilities.days7": "Last 7 days",
    "facilities.days28": "Last 28 days",
    "facilities.kpis": "Key figures",
    "facilities.updated": "Updated {time}",
    "kpi.inUse": "Desks in use now",
    "kpi.peak": "Peak people present",
    "kpi.seatRatio": "Seat ratio (desks per person at peak)",
    "kpi.sensors": "Sensors needing attention",
    "chart.csv": "CSV",
    "chart.empty": "No data yet.",
    "chart.utilisation": "Utilisation",
    "chart.nowFloors": "Desks in use now, by floor",
    "chart.nowZones": "Desks in use now, by zone",
    "chart.nowDepartments": "Desks in use now, by department",
    "facilities.otherDept": "Other",
    "chart.byHour": "Utilisation by hour of day",
    "chart.heatmap": "Utilisation, weekday × hour",
    "chart.dailyPeaks": "Peak people present, by day",
    "chart.seatRatio": "Seat ratio by floor (desks per person at peak)",
    "chart.noShows": "No-show rate",
    "chart.noShowsEmpty": "No data yet: no-shows are counted once desks are claimed through freeseat.",
    "chart.paperless": "Paperless meetings by department",
    "chart.paperlessEmpty": "No data yet: paperless rates appear once meetings are run through freeseat.",
    "chart.sensors": "Sensor health (devices)",
    "chart.signInFacilities": "Sign in as facilities staff (above) to see this figure.",
    "facilities.signIn": "Sign in to see the figures for facilities staff",
    "facilities.signedInAs": "Signed in as {name}",
    "health.attentionTitle": "Devices needing attention",
    "health.device": "Device",
    "health.kind": "Kind",
    "health.status": "Status",
    "health.lastSeen": "Last seen",
    "health.battery": "Battery",
    "health.online": "Online",
    "health.offline": "Offline",
    "health.stale": "Silent (stale)",
    "health.never_seen": "Never seen",
    "health.lowBattery": "Low battery",
    "health.low": "low",
    "health.never": "never",
    "health.allWell": "Every sensor is reporting.",
    "error.analytics": "Could not load the figures ({detail}). Retrying shortly…",
    "board.title": "Free seats now",
    "board.freeSeats": "free seats",
    "board.freeOf": "{free} of {desks} free",
    "board.zones": "Zones",
    "board.rooms": "Meeting rooms",
    "board.roomsNoData": "No data yet: room availability appears once rooms report through freeseat.",
    "board.roomFree": "Free",
    "board.roomBusy": "In use",
    "board.roomUntil": "until {time}",
    "board.roomNext": "next {time}",
    "board.noFloor": "Unknown floor. Add ?floor= with one of: {floors}",
    "host.signInTitle": "Sign in to book rooms and run meetings",
    "host.pairTitle": "Connect to a room",
    "host.pairHint": "Type the code shown on the room screen.",
    "host.code": "Code",
    "host.room": "Room",
    "host.anyRoom": "Any room",
    "host.connect": "Connect",
    "host.paired": "Connected: meeting \u201c{title}\u201d has started.",
    "host.joined": "Joined the running meeting \u201c{title}\u201d.",
    "host.sessionsTitle": "My meetings now",
    "host.noSessions": "No meeting of yours is running. Connect to a room with its code to start one.",
    "host.roomsTitle": "Rooms now and next",
    "host.monitorConnected": "laptop connected to the screen",
    "host.monitorIdle": "screen free",
    "host.monitorUnknown": "screen not reporting",
    "host.now": "Now: {title} ({host}) until {end}",
    "host.next": "Next: {title} ({host}) at {start}",
    "host.nothingNext": "Nothing booked next.",
    "host.sessionOpen": "Meeting running: {title} ({host})",
    "host.book": "Book",
    "host.meetingTitle": "Title",
    "host.start": "Start",
    "host.length": "Length",
    "host.minutes": "{n} min",
    "host.confirmBooking": "Book room",
    "host.cancel": "Cancel",
    "host.booked": "{room} is booked.",
    "host.startedAt": "started {time}",
    "host.viewers": "{n} opened the materials",
    "host.pagesShared": "{n} pages shown",
    "host.viewerLink": "Attendees' link (also in the room's QR code):",
    "host.noMaterials": "No materials yet: add the PDFs instead of printing them.",
    "host.addPdf": "PDF",
    "host.kindMaterial": "Material",
    "host.kindAgenda": "Agenda",
    "host.upload": "Add",
    "host.uploaded": "{name} added.",
    "host.pages": "{n} pages",
    "host.page": "Page",
    "host.show": "Show on screen",
    "host.onScreen": "on screen: page {page}",
    "host.end": "End meeting",
    "host.ended": "\u201c{title}\u201d has ended.",
    "me.title": "My desk today",
    "me.signInTitle": "Sign in to claim a desk",
    "me.signInToClaim": "Sign in (above) to claim this desk.",
    "me.demoHint": "Demo: pick a person to sign in as.",
    "me.searchPlaceholder": "Search by name, ID or department",
    "me.staffId": "Staff ID",
    "me.password": "Password",
    "me.signIn": "Sign in",
    "me.signOut": "Sign out",
    "me.mySeat": "Your desk:",
    "me.noSeat": "You have no desk today.",
    "me.heldState": "Held for you: check in by {by}, or it is released.",
    "me.checkedInState": "Checked in. Released at {until}.",
    "me.showOnMap": "Show on map",
    "me.checkIn": "Check in",
    "me.release": "Release",
    "me.findSeat": "Find me a seat",
    "me.noSuggestion": "No free desk on this floor suits you right now; try another floor.",
    "me.claim": "Claim this desk",
    "me.claimed": "Desk {desk} is held for you.",
    "me.checkedIn": "Checked in at {desk}.",
    "me.released": "Desk {desk} is free again.",
    "me.alreadyHolding": "You already hold desk {desk} today; release it first to claim another.",
    "me.notFree": "This desk is not free.",
    "me.dayOver": "The day is over: desks were held until {until}. Sit at any free desk; you can claim one again tomorrow.",
    "me.dayOverShort": "Desks cannot be held after the end of the day; sit here if it is free.",
    "reason.needs": "Has what you need",
    "reason.needs_missing": "Lacks some of what you need",
    "reason.team_zone": "In your team's zone",
    "reason.consolidation": "Fills a zone already in use",
    "reason.nearby": "Near you",
    "reason.familiar": "Where you sat on your last working day",
  },
  ja: {
    "skip.side": "凡例と座席の詳細へ移動",
    "floor.label": "フロア",
    "floor.option": "{name}：空き {free} / {desks} 席",
    "floor.none": "フロアが設定されていません。サイトファイルにフロアを追加してください。",
    "counts.label": "このフロアの座席（状態別）",
    "counts.total": "全 {n} 席",
    "state.free": "空き",
    "state.held": "確保中",
    "state.occupied": "使用中",
    "state.away": "離席中",
    "state.unknown": "不明",
    "state.blocked": "使用不可",
    "state.help.free": "白抜きの枠：空いています。座れます。",
    "state.help.held": "時計：到着待ちで確保されています。",
    "state.help.occupied": "塗りつぶしと人型：使用中です。",
    "state.help.away": "丸と一時停止マーク：一時的に離席しています。",
    "state.help.unknown": "点線と「?」：センサーがオフラインです。",
    "state.help.blocked": "斜線：使用できません。",
    "live.connecting": "接続中…",
    "live.live": "ライブ",
    "live.reconnecting": "再接続中…",
    "live.offline": "オフライン（再試行中）…",
    "lang.label": "言語",
    "legend.title": "凡例",
    "map.label": "{floor} のフロアマップ（{desks} 席）",
    "map.hint": "ドラッグで移動、ホイールまたは +/− で拡大縮小。Tab で座席へ、矢印キーで移動、Enter で詳細。",
    "map.loading": "フロアを読み込んでいます…",
    "zoom.in": "拡大",
    "zoom.out": "縮小",
    "zoom.reset": "表示をリセット",
    "desk.aria": "座席 {id}、{state}",
    "desk.title": "{id}\n{state}\n{since} から",
    "details.title": "座席 {id}",
    "details.close": "閉じる",
    "details.id": "座席ID",
    "details.zone": "ゾーン",
    "details.department": "部署",
    "details.equipment": "設備",
    "details.state": "状態",
    "details.since": "変更時刻",
    "details.reason": "理由",
    "details.none": "なし",
    "details.empty": "マップ上の座席を選ぶと詳細が表示されます。",
    "equipment.monitor": "モニター",
    "equipment.dual-monitor": "デュアルモニター",
    "equipment.dock": "ドッキングステーション",
    "equipment.standing": "スタンディングデスク",
    "equipment.accessible": "バリアフリー対応",
    "equipment.phone-booth": "電話ブース",
    "room.label": "{name}（{capacity} 名）",
    "room.capacity": "{n} 名",
    "ap.label": "Wi-Fi アクセスポイント {id}",
    "error.floors": "フロア一覧を読み込めませんでした（{detail}）。数秒後に再試行します…",
    "error.floor": "フロア {floor} を読み込めませんでした（{detail}）。数秒後に再試行します…",
    "time.unknown": "不明",
    "nav.label": "画面",
    "nav.staff": "フロアマップ",
    "nav.facilities": "施設管理",
    "nav.host": "会議",
    "nav.board": "ロビー表示",
    "facilities.scope": "対象",
    "facilities.allFloors": "全フロア",
    "facilities.window": "期間",
    "facilities.days1": "過去 24 時間",
    "facilities.days7": "過去 7 日間",
    "facilities.days28": "過去 28 日間",
    "facilities.kpis": "主要指標",
    "facilities.updated": "{time} 更新",
    "kpi.inUse": "現在使用中の座席",
    "kpi.peak": "最大在席人数",
    "kpi.seatRatio": "座席比率（ピーク時 1 人あたりの座席数）",
    "kpi.sensors": "要対応のセンサー",
    "chart.csv": "CSV",
    "chart.empty": "まだデータがありません。",
    "chart.utilisation": "利用率",
    "chart.nowFloors": "現在の使用中座席（フロア別）",
    "chart.nowZones": "現在の使用中座席（ゾーン別）",
    "chart.nowDepartments": "現在の使用中座席（部署別）",
    "facilities.otherDept": "その他",
    "chart.byHour": "時間帯別の利用率",
    "chart.heatmap": "利用率（曜日 × 時間帯）",
    "chart.dailyPeaks": "日別の最大在席人数",
    "chart.seatRatio": "フロア別の座席比率（ピーク時 1 人あたりの座席数）",
    "chart.noShows": "ノーショー率",
    "chart.noShowsEmpty": "まだデータがありません。freeseat で座席を確保するとノーショーが集計されます。",
    "chart.paperless": "部署別ペーパーレス会議率",
    "chart.paperlessEmpty": "まだデータがありません。freeseat で会議を行うとペーパーレス率が表示されます。",
    "chart.sensors": "センサーの状態（台数）",
    "chart.signInFacilities": "この指標を見るには、上で施設管理担当としてサインインしてください。",
    "facilities.signIn": "サインインすると施設管理担当向けの指標を表示します",
    "facilities.signedInAs": "{name} としてサインイン中",
    "health.attentionTitle": "対応が必要な機器",
    "health.device": "機器",
    "health.kind": "種類",
    "health.status": "状態",
    "health.lastSeen": "最終受信",
    "health.battery": "電池",
    "health.online": "オンライン",
    "health.offline": "オフライン",
    "health.stale": "応答なし",
    "health.never_seen": "未接続",
    "health.lowBattery": "電池残量低下",
    "health.low": "低下",
    "health.never": "なし",
    "health.allWell": "すべてのセンサーが報告しています。",
    "error.analytics": "集計を読み込めませんでした（{detail}）。まもなく再試行します…",
    "board.title": "現在の空席",
    "board.freeSeats": "席 空き",
    "board.freeOf": "{desks} 席中 {free} 席空き",
    "board.zones": "ゾーン",
    "board.rooms": "会議室",
    "board.roomsNoData": "まだデータがありません。会議室の状況は freeseat に報告され次第表示されます。",
    "board.roomFree": "空き",
    "board.roomBusy": "使用中",
    "board.roomUntil": "{time} まで",
    "board.roomNext": "次回 {time}",
    "board.noFloor": "フロアが見つかりません。?floor= に次のいずれかを指定してください：{floors}",
    "host.signInTitle": "サインインして会議室の予約・会議を行う",
    "host.pairTitle": "会議室に接続",
    "host.pairHint": "会議室の画面に表示されたコードを入力してください。",
    "host.code": "コード",
    "host.room": "会議室",
    "host.anyRoom": "指定なし",
    "host.connect": "接続",
    "host.paired": "接続しました。会議「{title}」を開始しました。",
    "host.joined": "進行中の会議「{title}」に参加しました。",
    "host.sessionsTitle": "進行中の自分の会議",
    "host.noSessions": "進行中の会議はありません。会議室のコードで接続すると開始します。",
    "host.roomsTitle": "会議室の現在と次の予定",
    "host.monitorConnected": "画面にノートPC接続中",
    "host.monitorIdle": "画面は空いています",
    "host.monitorUnknown": "画面の状態不明",
    "host.now": "現在：{title}（{host}）{end} まで",
    "host.next": "次：{title}（{host}）{start} から",
    "host.nothingNext": "次の予約はありません。",
    "host.sessionOpen": "会議中：{title}（{host}）",
    "host.book": "予約",
    "host.meetingTitle": "件名",
    "host.start": "開始",
    "host.length": "時間",
    "host.minutes": "{n} 分",
    "host.confirmBooking": "予約する",
    "host.cancel": "キャンセル",
    "host.booked": "{room} を予約しました。",
    "host.startedAt": "{time} 開始",
    "host.viewers": "資料を開いた人 {n} 名",
    "host.pagesShared": "表示したページ {n}",
    "host.viewerLink": "参加者用リンク（会議室の QR コードと同じ）：",
    "host.noMaterials": "資料はまだありません。印刷せずに PDF を追加してください。",
    "host.addPdf": "PDF",
    "host.kindMaterial": "資料",
    "host.kindAgenda": "次第",
    "host.upload": "追加",
    "host.uploaded": "{name} を追加しました。",
    "host.pages": "{n} ページ",
    "host.page": "ページ",
    "host.show": "画面に表示",
    "host.onScreen": "表示中：{page} ページ",
    "host.end": "会議を終了",
    "host.ended": "「{title}」を終了しました。",
    "me.title": "今日の座席",
    "me.signInTitle": "サインインして座席を確保",
    "me.signInToClaim": "この座席を確保するには、上でサインインしてください。",
    "me.demoHint": "デモ：サインインする人を選んでください。",
    "me.searchPlaceholder": "氏名・職員番号・部署で検索",
    "me.staffId": "職員番号",
    "me.password": "パスワード",
    "me.signIn": "サインイン",
    "me.signOut": "サインアウト",
    "me.mySeat": "あなたの座席：",
    "me.noSeat": "今日の座席はまだありません。",
    "me.heldState": "確保済み：{by} までにチェックインしないと解放されます。",
    "me.checkedInState": "チェックイン済み。{until} に解放されます。",
    "me.showOnMap": "マップで表示",
    "me.checkIn": "チェックイン",
    "me.release": "解放する",
    "me.findSeat": "座席を探す",
    "me.noSuggestion": "このフロアには今おすすめできる空席がありません。別のフロアをお試しください。",
    "me.claim": "この座席を確保",
    "me.claimed": "座席 {desk} を確保しました。",
    "me.checkedIn": "座席 {desk} にチェックインしました。",
    "me.released": "座席 {desk} を解放しました。",
    "me.alreadyHolding": "今日はすでに座席 {desk} を確保しています。別の座席にするには先に解放してください。",
    "me.notFree": "この座席は空いていません。",
    "me.dayOver": "本日の座席確保は {until} で終了しました。空いている席はそのまま使えます。明日また確保できます。",
    "me.dayOverShort": "終業後は座席を確保できません。空いていればそのまま使えます。",
    "reason.needs": "必要な設備があります",
    "reason.needs_missing": "必要な設備の一部がありません",
    "reason.team_zone": "チームのゾーン内です",
    "reason.consolidation": "使用中のゾーンにまとめます",
    "reason.nearby": "現在地の近くです",
    "reason.familiar": "前回の勤務日に座った席です",
  },
};

let current = initialLanguage();
const listeners = new Set();

function initialLanguage() {
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (private mode, kiosk policies); fall back to the browser.
  }
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
}

/** The current language code, "en" or "ja". */
export function lang() {
  return current;
}

/** The string for key in the current language, with {name} placeholders filled from params. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** The label of a term such as a state or equipment ("state", "free"); the raw value if none. */
export function termLabel(group, value) {
  const key = `${group}.${value}`;
  return key in STRINGS[current] || key in STRINGS.en ? t(key) : String(value);
}

/** The Japanese name when the page is in Japanese and one exists, else the default name. */
export function localName(item) {
  return (current === "ja" && item.name_ja) || item.name || item.id || "";
}

/** Switch language, remember it, relabel marked-up text and tell listeners. */
export function setLanguage(code) {
  if (!LANGUAGES.includes(code) || code === current) return;
  current = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not remembered across visits, but the switch still works for this page.
  }
  applyTranslations(document);
  for (const fn of listeners) fn(code);
}

/** Call fn(code) after every language switch; returns an unsubscribe function. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Fill every data-i18n* marked element under root with the current language. */
export function applyTranslations(root = document) {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** A timestamp as local date and time in the current language; "unknown" if missing or invalid. */
export function formatTime(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return t("time.unknown");
  const sameDay = date.toDateString() === new Date().toDateString();
  return dateFormat(sameDay ? "time" : "datetime").format(date);
}

// Building an Intl formatter costs far more than using one; desks re-title on every change.
const formats = new Map();
function dateFormat(kind) {
  const key = `${current}:${kind}`;
  if (!formats.has(key)) {
    const options = kind === "time" ? { timeStyle: "short" } : { dateStyle: "medium", timeStyle: "short" };
    formats.set(key, new Intl.DateTimeFormat(current === "ja" ? "ja-JP" : "en-GB", options));
  }
  return formats.get(key);
}

/** How long ago a timestamp was, e.g. "12 minutes ago" / "12 分前"; "" if missing. */
export function formatAgo(iso, now = Date.now()) {
  const ms = iso ? new Date(iso).getTime() : NaN;
  if (Number.isNaN(ms)) return "";
  const seconds = Math.round((ms - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  return rtf.format(Math.round(seconds / 86400), "day");
}
