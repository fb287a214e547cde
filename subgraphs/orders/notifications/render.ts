import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { NotificationEvent } from '../../lib/queues';
import type { EmailView } from './format';

/**
 * Emails are rendered with Handlebars from templates/: one file per event holding its subject,
 * headline and message as inline partials, inside a shared layout. The same event file is
 * rendered three times, by three Handlebars environments that differ only in their `layout`
 * partial and helpers: the HTML part (every value HTML-escaped), the plain-text part and the
 * subject (no escaping: they are not HTML).
 */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const TEMPLATES_DIR = path.join(__dirname, 'templates');
const read = (file: string) => readFileSync(path.join(TEMPLATES_DIR, file), 'utf8');

export const TEMPLATE_OF: Record<NotificationEvent, string> = {
  ORDER_PLACED: 'order-placed.hbs',
  PAYMENT_FAILED: 'payment-failed.hbs',
  SHIPPED: 'shipped.hbs',
  DELIVERED: 'delivered.hbs',
  CANCELED: 'canceled.hbs',
  REFUNDED: 'refunded.hbs',
  PARTIALLY_REFUNDED: 'partially-refunded.hbs',
  OVERSOLD_REFUNDED: 'oversold-refunded.hbs',
};

type Part = 'html' | 'text' | 'subject';

function environment(part: Part): typeof Handlebars {
  const env = Handlebars.create();
  const escape = part === 'html' ? Handlebars.escapeExpression : (s: string) => s;
  env.registerPartial('layout', part === 'subject' ? '{{> subject}}' : read(`layout.${part}.hbs`));
  // {{link url "label"}}: an anchor in HTML; "label <url>" in plain text.
  env.registerHelper('link', (url: unknown, label: unknown) => {
    const [u, l] = [String(url ?? ''), typeof label === 'string' ? label : String(url ?? '')];
    return new Handlebars.SafeString(part === 'html' ? `<a href="${escape(u)}">${escape(l)}</a>` : `${l} <${u}>`);
  });
  // {{#paragraphs}}…{{/paragraphs}}: paragraphs split by blank lines, lines within one kept; <p> and <br> in HTML.
  env.registerHelper('paragraphs', function (this: unknown, options: Handlebars.HelperOptions) {
    const paragraphs = String(options.fn(this))
      .split(/\n\s*\n/)
      .map((p) => p.split('\n').map((line) => line.trim()).filter(Boolean))
      .filter((lines) => lines.length > 0);
    return new Handlebars.SafeString(
      part === 'html' ? paragraphs.map((lines) => `<p style="margin:0 0 12px">${lines.join('<br>')}</p>`).join('\n') : paragraphs.map((lines) => lines.join('\n')).join('\n\n'),
    );
  });
  return env;
}

type Compiled = Record<Part, HandlebarsTemplateDelegate<EmailView>>;
const compiled = new Map<NotificationEvent, Compiled>();
const environments: Record<Part, typeof Handlebars> = { html: environment('html'), text: environment('text'), subject: environment('subject') };

/** Each event's template, compiled once per part on first use. */
function templatesFor(event: NotificationEvent): Compiled {
  let found = compiled.get(event);
  if (!found) {
    const source = read(TEMPLATE_OF[event]);
    const compile = (part: Part) => environments[part].compile<EmailView>(source, { noEscape: part !== 'html' });
    found = { html: compile('html'), text: compile('text'), subject: compile('subject') };
    compiled.set(event, found);
  }
  return found;
}

export function renderEmail(event: NotificationEvent, view: EmailView): RenderedEmail {
  const t = templatesFor(event);
  return {
    subject: t.subject(view).replace(/\s+/g, ' ').trim(),
    html: t.html(view),
    text: `${t.text(view).replace(/\n{3,}/g, '\n\n').trim()}\n`,
  };
}
