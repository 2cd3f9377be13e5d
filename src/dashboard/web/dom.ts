/**
 * DOM building without HTML strings: every piece of text goes in through text nodes (`textContent`),
 * so study names, parameter values and attributes that hold markup are shown as text, never parsed.
 */

type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  /** Attributes set with setAttribute (never `on*` handlers, never `style`). */
  attrs?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    if (props.class !== undefined) el.className = props.class;
    if (props.id !== undefined) el.id = props.id;
    if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) el.setAttribute(k, v);
    if (props.on) {
      for (const [type, fn] of Object.entries(props.on)) el.addEventListener(type, fn as EventListener);
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/** A <select> over `choices` ([value, label]); `onChange` gets the chosen value. */
export function select(
  choices: readonly (readonly [string, string])[],
  value: string,
  onChange: (v: string) => void,
  props: Props = {},
): HTMLSelectElement {
  const s = h('select', props);
  for (const [v, label] of choices) {
    const o = h('option', null, label);
    o.value = v;
    s.appendChild(o);
  }
  s.value = value;
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

export function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  return h('label', { class: 'control' }, h('span', null, text), control);
}
