// Racing colours ("Royal Blue, White Sash, Red Cap") -> a jersey description for SilksJersey.
const COLOURS = {
  white: '#ffffff', black: '#1a1a1a', red: '#d0202e', scarlet: '#e0301e', crimson: '#b0102a', cerise: '#de3163',
  maroon: '#7a1f2b', burgundy: '#800020', claret: '#7f1734', pink: '#f4a6c0', 'hot pink': '#ff4fa0', rose: '#ff66a3',
  orange: '#f57c00', gold: '#d4a017', yellow: '#f7d51d', lemon: '#fff44f', amber: '#ffbf00', beige: '#e8d8b0',
  cream: '#f6efd6', fawn: '#d8b384', tan: '#d2a679', brown: '#6d4423', chocolate: '#4e2a14', green: '#1f8a3b',
  'emerald green': '#0f9d58', emerald: '#0f9d58', 'dark green': '#0b5d1e', 'light green': '#8fd694', lime: '#9acd32',
  'lime green': '#7ccc2a', olive: '#708238', teal: '#008080', aqua: '#3fd0d4', turquoise: '#30c5c0', blue: '#1f4fd1',
  'royal blue': '#1d3fbb', navy: '#14213d', 'navy blue': '#14213d', 'dark blue': '#12287a', 'light blue': '#8ec9f0',
  'sky blue': '#6ec1ee', 'pale blue': '#b7dcf5', 'powder blue': '#b0d4ec', purple: '#6a2c91', violet: '#7f3fbf',
  mauve: '#b784a7', lilac: '#c8a2c8', lavender: '#b9a7e0', grey: '#8a8f98', gray: '#8a8f98', silver: '#c0c4cc',
  'dark grey': '#555b63', 'light grey': '#c8ccd2', copper: '#b87333', bronze: '#a97142', magenta: '#d1128a',
};

const PATTERNS = [
  ['sash', 'sash'], ['hoop', 'hoops'], ['band', 'hoops'], ['stripe', 'stripes'], ['braces', 'braces'],
  ['sleeve', 'sleeves'], ['arm', 'armlets'], ['cap', 'cap'], ['star', 'spots'], ['spot', 'spots'], ['dot', 'spots'],
  ['diamond', 'diamonds'], ['chevron', 'chevrons'], ['cross', 'cross'], ['halved', 'halved'], ['quarter', 'quartered'],
  ['epaulet', 'epaulettes'], ['seam', 'seams'], ['yoke', 'yoke'], ['vee', 'yoke'], ['collar', 'collar'], ['check', 'checks'],
];

function colourIn(text) {
  const t = text.toLowerCase().replace(/[^a-z ]/g, ' ').replace(/\s+/g, ' ').trim();
  let best = null;
  for (const name of Object.keys(COLOURS)) {
    const m = new RegExp(`(^| )${name}( |$)`).exec(t);
    if (!m) continue;
    const i = m.index;
    if (!best || i < best.i || (i === best.i && name.length > best.name.length)) best = { name, i };
  }
  return best ? COLOURS[best.name] : null;
}

function coloursIn(text) {
  // "Black And White Hoops" -> two colours
  return text
    .split(/\band\b|&|\//i)
    .map((p) => colourIn(p))
    .filter(Boolean);
}

export function isImageUrl(s) {
  return typeof s === 'string' && /^(https?:\/\/|\/)[^\s]+$/i.test(s.trim());
}

/** Parse colours text. Returns { body, sleeves, cap, pattern, patternColour, patternColour2 }. */
export function parseSilks(text) {
  const out = { body: '#e9ecf1', sleeves: null, cap: null, pattern: null, patternColour: null, patternColour2: null };
  if (!text || typeof text !== 'string') return out;
  const parts = text.split(/[,;]|\bwith\b/i).map((s) => s.trim()).filter(Boolean);
  parts.forEach((part, idx) => {
    const low = part.toLowerCase();
    const pat = PATTERNS.find(([k]) => low.includes(k));
    const cols = coloursIn(part);
    if (idx === 0 && (!pat || pat[1] === 'halved' || pat[1] === 'quartered')) {
      if (cols[0]) out.body = cols[0];
      if (pat) {
        out.pattern = pat[1];
        out.patternColour = cols[1] || out.patternColour;
      }
      return;
    }
    if (!pat) return;
    const kind = pat[1];
    if (kind === 'sleeves' || kind === 'armlets') {
      if (kind === 'sleeves') out.sleeves = cols[0] || out.sleeves;
      else if (!out.pattern) {
        out.pattern = 'armlets';
        out.patternColour = cols[0];
      }
    } else if (kind === 'cap') {
      out.cap = cols[0] || out.cap;
    } else if (!out.pattern || out.pattern === 'armlets') {
      out.pattern = kind;
      out.patternColour = cols[0] || '#ffffff';
      out.patternColour2 = cols[1] || null;
      if (cols.length > 1 && (kind === 'hoops' || kind === 'stripes' || kind === 'checks')) {
        out.body = cols[0];
        out.patternColour = cols[1];
      }
    }
  });
  return out;
}

// Greyhound rug colours by box number (Australian convention) when no silks are given.
const RUGS = {
  1: { body: '#d0202e' },
  2: { body: '#1a1a1a', pattern: 'hoops', patternColour: '#ffffff' },
  3: { body: '#ffffff' },
  4: { body: '#1f4fd1' },
  5: { body: '#f7d51d' },
  6: { body: '#1f8a3b' },
  7: { body: '#1a1a1a' },
  8: { body: '#f4a6c0' },
  9: { body: '#1f8a3b', pattern: 'hoops', patternColour: '#ffffff' },
  10: { body: '#d0202e', pattern: 'hoops', patternColour: '#ffffff' },
};
export function rugFor(number) {
  return { body: '#e9ecf1', sleeves: null, cap: null, pattern: null, patternColour: null, ...(RUGS[number] || {}) };
}
