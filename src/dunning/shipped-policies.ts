/**
 * The policies shipped with Relance, created for each organisation on first use
 * ("Standard", the default, and "Gentle" for key accounts), editable afterwards.
 * Texts follow the way French credit controllers escalate: a courtesy reminder, a
 * friendly first reminder, a firmer second one, a last reminder quoting the statutory
 * penalties (Code de commerce L441-10, D441-5), a formal notice (mise en demeure, art.
 * 1344 Code civil) by email and registered letter, then a call.
 * Variables: see `sampleContext()` in context.ts.
 */
import type { Channel, StepTemplates } from "./schema.js";

export interface ShippedStep {
  name: string;
  offsetDays: number;
  channel: Channel;
  attachStatement?: boolean;
  attachLetter?: boolean;
  includePenalties?: boolean;
  requireApproval?: boolean;
  minOutstanding?: number | null;
  templates: Required<StepTemplates>;
}

export interface ShippedPolicy {
  key: "standard" | "gentle";
  name: string;
  description: string;
  isDefault: boolean;
  minOutstanding: number;
  steps: ShippedStep[];
}

const one = (singular: string, plural: string) => `{% if totals.count == 1 %}${singular}{% else %}${plural}{% endif %}`;

// ---------------------------------------------------------------- French

const FR_CREDITS = `{% if totals.credits_count > 0 %}
Compte tenu de vos avoirs non encore imputés ({{ totals.credits }}), le solde de votre compte s'élève à {{ totals.balance }}.
{% endif %}`;

const FR_PENALTY_NOTE = `{% if penalties.note != "" %}
{{ penalties.note }}
{% endif %}`;

const FR = {
  courtesy: {
    subject: `${one("Échéance prochaine de la facture {{ invoices.first.number }}", "Échéance prochaine de {{ totals.count }} factures")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Nous nous permettons de vous rappeler que ${one("la facture suivante arrive", "les factures suivantes arrivent")} prochainement à échéance :

{{ invoice_table }}

Montant total : {{ totals.outstanding }}

Si le règlement est déjà programmé, nous vous en remercions et vous prions de ne pas tenir compte de ce message.

{{ payment_instructions }}

Nous restons à votre disposition pour toute question.

Bien cordialement,

{{ signature }}`,
  },
  first: {
    subject: `Relance : ${one("facture {{ invoices.first.number }} échue", "{{ totals.count }} factures échues")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Sauf erreur ou omission de notre part, nous n'avons pas encore reçu le règlement ${one("de la facture suivante, arrivée", "des factures suivantes, arrivées")} à échéance :

{{ invoice_table }}

Montant restant dû : {{ totals.outstanding }}
${FR_CREDITS}
Il s'agit probablement d'un simple oubli. Nous vous remercions de bien vouloir procéder au règlement dans les meilleurs délais. S'il a été effectué entre-temps, merci de ne pas tenir compte de ce message.

{{ payment_instructions }}

Bien cordialement,

{{ signature }}`,
  },
  second: {
    subject: `2e relance : ${one("facture {{ invoices.first.number }} impayée", "{{ totals.count }} factures impayées")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Malgré notre précédent rappel, nous constatons que ${one("la facture suivante reste impayée", "les factures suivantes restent impayées")} à ce jour :

{{ invoice_table }}

Montant restant dû : {{ totals.outstanding }}
${FR_CREDITS}
Nous vous remercions de procéder à ${one("son", "leur")} règlement sous huitaine, ou de nous indiquer la date à laquelle il interviendra. Si une difficulté fait obstacle au paiement (facture non reçue, désaccord sur la prestation, erreur de montant), merci de nous la signaler en répondant simplement à ce message : nous la traiterons sans tarder.

{{ payment_instructions }}

Bien cordialement,

{{ signature }}`,
  },
  firm: {
    subject: `Dernier rappel avant mise en demeure — {{ totals.outstanding }} impayés — {{ company.name }}`,
    body: `{{ contact.salutation }}

Nos précédentes relances étant restées sans effet, nous constatons qu'à ce jour ${one("la facture suivante demeure impayée", "les factures suivantes demeurent impayées")}, avec un retard atteignant {{ totals.max_days_late }} jours :

{{ invoice_table }}

Montant restant dû : {{ totals.outstanding }}
${FR_CREDITS}
Nous vous rappelons qu'en application de l'article L441-10 du Code de commerce, tout retard de paiement rend exigibles de plein droit des pénalités de retard ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 € par facture (article D441-5). À ce jour, ces pénalités s'élèvent à {{ penalties.total }} (intérêts de retard : {{ penalties.interest }} ; indemnités forfaitaires : {{ penalties.indemnities }}).
${FR_PENALTY_NOTE}
Nous vous demandons de régulariser cette situation sans délai. À défaut de règlement sous huit jours, nous serons contraints de vous adresser une mise en demeure.

{{ payment_instructions }}

Si vous rencontrez des difficultés de trésorerie, contactez-nous : nous pouvons étudier ensemble un échéancier.

Salutations distinguées,

{{ signature }}`,
  },
  noticeEmail: {
    subject: `Mise en demeure de payer — {{ customer.name }} — {{ totals.grand_total }}`,
    body: `Madame, Monsieur,

Malgré nos relances successives, ${one("la facture suivante reste impayée", "les factures suivantes restent impayées")} :

{{ invoice_table }}

Par la présente, nous vous mettons en demeure de nous régler, au plus tard le {{ deadline }}, la somme de {{ totals.grand_total }}, qui se décompose comme suit :
- principal restant dû : {{ totals.outstanding }} ;
- intérêts de retard au taux {{ penalties.rate }} (article L441-10 du Code de commerce), arrêtés au {{ as_of }} : {{ penalties.interest }} ;
- indemnités forfaitaires pour frais de recouvrement de 40 € par facture (articles L441-10 et D441-5 du Code de commerce) : {{ penalties.indemnities }}.
${FR_PENALTY_NOTE}
À défaut de paiement dans ce délai, nous engagerons sans autre avis une procédure judiciaire de recouvrement (injonction de payer), dont les frais resteront à votre charge.

Le courrier de mise en demeure est joint à ce message ; il vous est également adressé par lettre recommandée avec accusé de réception.

{{ payment_instructions }}

Veuillez agréer, Madame, Monsieur, nos salutations distinguées.

{{ signature }}`,
  },
  noticeLetter: {
    subject: `Mise en demeure de payer`,
    body: `Lettre recommandée avec accusé de réception

Madame, Monsieur,

Malgré nos relances restées sans effet, vous demeurez redevable envers {{ company.name }} des sommes suivantes :

{{ invoice_table }}

En conséquence, nous vous mettons en demeure, par la présente, de nous régler sous huit jours à compter de sa réception, et au plus tard le {{ deadline }}, la somme totale de {{ totals.grand_total }}, comprenant :
- le principal restant dû : {{ totals.outstanding }} ;
- les intérêts de retard dus de plein droit en application de l'article L441-10 du Code de commerce, au taux {{ penalties.rate }}, arrêtés au {{ as_of }} : {{ penalties.interest }} ;
- l'indemnité forfaitaire pour frais de recouvrement de 40 € par facture prévue aux articles L441-10 et D441-5 du Code de commerce : {{ penalties.indemnities }}.
${FR_PENALTY_NOTE}
La présente vaut mise en demeure au sens de l'article 1344 du Code civil. À défaut de règlement dans le délai imparti, nous saisirons la juridiction compétente afin d'obtenir le recouvrement de notre créance, sans autre avis de notre part, les frais de procédure et de recouvrement restant à votre charge.

{{ payment_instructions }}

Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.

{{ signature }}`,
  },
  call: {
    subject: `Appeler {{ customer.name }} — {{ totals.outstanding }} impayés, {{ totals.max_days_late }} j de retard`,
    body: `La mise en demeure est restée sans règlement. Appeler le client pour obtenir une date de paiement ferme.

Interlocuteur : {{ contact.name }} {{ contact.email }} {{ contact.phone }}

{{ invoice_table }}

Total dû : {{ totals.outstanding }}

À consigner après l'appel : promesse de paiement (montant et date), litige (motif et factures concernées), ou transmission au contentieux.`,
  },
  gentleFirst: {
    subject: `Petit rappel : ${one("facture {{ invoices.first.number }}", "{{ totals.count }} factures")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Sauf erreur de notre part, ${one("la facture suivante n'a", "les factures suivantes n'ont")} pas encore été réglée${one("", "s")} :

{{ invoice_table }}

Montant : {{ totals.outstanding }}
${FR_CREDITS}
Le règlement est peut-être déjà en cours ; dans ce cas, merci de ne pas tenir compte de ce message. Nous restons bien entendu à votre disposition si vous avez besoin d'un duplicata ou de précisions.

{{ payment_instructions }}

Bien cordialement,

{{ signature }}`,
  },
  gentleSecond: {
    subject: `Suivi de règlement : ${one("facture {{ invoices.first.number }}", "{{ totals.count }} factures")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Je reviens vers vous au sujet ${one("de la facture suivante, toujours en attente", "des factures suivantes, toujours en attente")} de règlement :

{{ invoice_table }}

Montant restant dû : {{ totals.outstanding }}
${FR_CREDITS}
Pourriez-vous me confirmer la date de paiement prévue, ou m'indiquer si un élément bloque son traitement de votre côté (bon de commande, validation interne, adresse de facturation) ? Je ferai le nécessaire pour faciliter les choses.

{{ payment_instructions }}

Je vous remercie par avance de votre retour.

Bien cordialement,

{{ signature }}`,
  },
  gentleCall: {
    subject: `Appel chargé de compte : {{ customer.name }} — {{ totals.outstanding }} en attente`,
    body: `Compte clé : prendre contact personnellement (ton commercial) pour comprendre le retard et convenir d'une date de règlement.

Interlocuteur : {{ contact.name }} {{ contact.email }} {{ contact.phone }}

{{ invoice_table }}

Total : {{ totals.outstanding }}`,
  },
  gentleFirm: {
    subject: `Règlement en retard : ${one("facture {{ invoices.first.number }}", "{{ totals.count }} factures")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Malgré nos échanges, ${one("la facture suivante reste impayée", "les factures suivantes restent impayées")}, avec un retard atteignant {{ totals.max_days_late }} jours :

{{ invoice_table }}

Montant restant dû : {{ totals.outstanding }}
${FR_CREDITS}
Nous tenons à la qualité de notre relation et souhaitons régler ce point rapidement. Nous vous remercions de procéder au paiement sous huit jours ou de nous proposer un échéancier. Nous vous rappelons que les retards de paiement ouvrent droit aux pénalités et à l'indemnité forfaitaire de 40 € par facture prévues à l'article L441-10 du Code de commerce, que nous préférerions ne pas avoir à appliquer.

{{ payment_instructions }}

Bien cordialement,

{{ signature }}`,
  },
};

// ---------------------------------------------------------------- English

const EN_CREDITS = `{% if totals.credits_count > 0 %}
Taking into account your credit notes not yet applied ({{ totals.credits }}), the balance of your account is {{ totals.balance }}.
{% endif %}`;

const EN_PENALTY_NOTE = FR_PENALTY_NOTE;

const EN = {
  courtesy: {
    subject: `${one("Invoice {{ invoices.first.number }} falls due soon", "{{ totals.count }} invoices fall due soon")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

This is a friendly reminder that ${one("the following invoice falls", "the following invoices fall")} due shortly:

{{ invoice_table }}

Total: {{ totals.outstanding }}

If payment has already been scheduled, thank you, and please disregard this message.

{{ payment_instructions }}

Please do not hesitate to contact us with any question.

Kind regards,

{{ signature }}`,
  },
  first: {
    subject: `Reminder: ${one("invoice {{ invoices.first.number }} is overdue", "{{ totals.count }} invoices are overdue")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

According to our records, we have not yet received payment of ${one("the following invoice, which is now", "the following invoices, which are now")} due:

{{ invoice_table }}

Amount outstanding: {{ totals.outstanding }}
${EN_CREDITS}
This is probably an oversight. We would be grateful if you could arrange payment at your earliest convenience. If payment has been made in the meantime, please disregard this message.

{{ payment_instructions }}

Kind regards,

{{ signature }}`,
  },
  second: {
    subject: `Second reminder: ${one("invoice {{ invoices.first.number }} unpaid", "{{ totals.count }} invoices unpaid")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Despite our previous reminder, ${one("the following invoice remains", "the following invoices remain")} unpaid:

{{ invoice_table }}

Amount outstanding: {{ totals.outstanding }}
${EN_CREDITS}
Please arrange payment within eight days, or let us know when it will be made. If anything prevents payment (invoice not received, disagreement, incorrect amount), simply reply to this message and we will deal with it promptly.

{{ payment_instructions }}

Kind regards,

{{ signature }}`,
  },
  firm: {
    subject: `Final reminder before formal notice — {{ totals.outstanding }} overdue — {{ company.name }}`,
    body: `{{ contact.salutation }}

Our previous reminders have gone unanswered, and ${one("the following invoice remains", "the following invoices remain")} unpaid, up to {{ totals.max_days_late }} days late:

{{ invoice_table }}

Amount outstanding: {{ totals.outstanding }}
${EN_CREDITS}
Under article L441-10 of the French Commercial Code, late payment automatically gives rise to late-payment interest and to a fixed recovery indemnity of €40 per invoice (article D441-5). To date these amount to {{ penalties.total }} (interest: {{ penalties.interest }}; fixed indemnities: {{ penalties.indemnities }}).
${EN_PENALTY_NOTE}
We ask you to settle this without delay. Failing payment within eight days, we will have to send you a formal notice.

{{ payment_instructions }}

If you are facing cash-flow difficulties, please contact us to discuss a payment plan.

Yours sincerely,

{{ signature }}`,
  },
  noticeEmail: {
    subject: `Formal notice to pay — {{ customer.name }} — {{ totals.grand_total }}`,
    body: `Dear Sir or Madam,

Despite our repeated reminders, ${one("the following invoice remains", "the following invoices remain")} unpaid:

{{ invoice_table }}

We hereby give you formal notice to pay, no later than {{ deadline }}, the sum of {{ totals.grand_total }}, made up as follows:
- principal outstanding: {{ totals.outstanding }};
- late-payment interest at {{ penalties.rate }} (article L441-10 of the French Commercial Code), calculated to {{ as_of }}: {{ penalties.interest }};
- fixed recovery indemnities of €40 per invoice (articles L441-10 and D441-5 of the French Commercial Code): {{ penalties.indemnities }}.
${EN_PENALTY_NOTE}
Failing payment within this period, we will start legal recovery proceedings (order for payment) without further notice, at your expense.

The formal notice letter is attached; it is also being sent to you by registered letter with acknowledgement of receipt.

{{ payment_instructions }}

Yours faithfully,

{{ signature }}`,
  },
  noticeLetter: {
    subject: `Formal notice to pay`,
    body: `Registered letter with acknowledgement of receipt

Dear Sir or Madam,

Despite our reminders, you still owe {{ company.name }} the following amounts:

{{ invoice_table }}

We therefore hereby give you formal notice to pay, within eight days of receipt of this letter and no later than {{ deadline }}, the total sum of {{ totals.grand_total }}, comprising:
- the principal outstanding: {{ totals.outstanding }};
- late-payment interest due by operation of law under article L441-10 of the French Commercial Code, at {{ penalties.rate }}, calculated to {{ as_of }}: {{ penalties.interest }};
- the fixed recovery indemnity of €40 per invoice provided for by articles L441-10 and D441-5 of the French Commercial Code: {{ penalties.indemnities }}.
${EN_PENALTY_NOTE}
This letter constitutes formal notice within the meaning of article 1344 of the French Civil Code. Failing payment within this period, we will refer the matter to the competent court without further notice, all legal and recovery costs being borne by you.

{{ payment_instructions }}

Yours faithfully,

{{ signature }}`,
  },
  call: {
    subject: `Call {{ customer.name }} — {{ totals.outstanding }} overdue, {{ totals.max_days_late }} days late`,
    body: `The formal notice has not been paid. Call the customer to obtain a firm payment date.

Contact: {{ contact.name }} {{ contact.email }} {{ contact.phone }}

{{ invoice_table }}

Total due: {{ totals.outstanding }}

Record after the call: promise to pay (amount and date), dispute (reason and invoices), or handover to litigation.`,
  },
  gentleFirst: {
    subject: `Quick reminder: ${one("invoice {{ invoices.first.number }}", "{{ totals.count }} invoices")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Unless we are mistaken, ${one("the following invoice has", "the following invoices have")} not been paid yet:

{{ invoice_table }}

Amount: {{ totals.outstanding }}
${EN_CREDITS}
Payment may already be on its way, in which case please disregard this message. We are of course happy to send a copy of any invoice or to provide further details.

{{ payment_instructions }}

Kind regards,

{{ signature }}`,
  },
  gentleSecond: {
    subject: `Payment follow-up: ${one("invoice {{ invoices.first.number }}", "{{ totals.count }} invoices")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

I am following up on ${one("the following invoice, which is", "the following invoices, which are")} still awaiting payment:

{{ invoice_table }}

Amount outstanding: {{ totals.outstanding }}
${EN_CREDITS}
Could you confirm the expected payment date, or let me know if anything is holding it up on your side (purchase order, internal approval, billing address)? I will be glad to help.

{{ payment_instructions }}

Thank you in advance for your reply.

Kind regards,

{{ signature }}`,
  },
  gentleCall: {
    subject: `Account manager call: {{ customer.name }} — {{ totals.outstanding }} pending`,
    body: `Key account: get in touch personally (commercial tone) to understand the delay and agree on a payment date.

Contact: {{ contact.name }} {{ contact.email }} {{ contact.phone }}

{{ invoice_table }}

Total: {{ totals.outstanding }}`,
  },
  gentleFirm: {
    subject: `Overdue payment: ${one("invoice {{ invoices.first.number }}", "{{ totals.count }} invoices")} — {{ company.name }}`,
    body: `{{ contact.salutation }}

Despite our exchanges, ${one("the following invoice remains", "the following invoices remain")} unpaid, up to {{ totals.max_days_late }} days late:

{{ invoice_table }}

Amount outstanding: {{ totals.outstanding }}
${EN_CREDITS}
We value our relationship and would like to resolve this quickly. Please arrange payment within eight days or propose a payment plan. We would remind you that late payment gives rise to the interest and the €40 fixed indemnity per invoice provided for by article L441-10 of the French Commercial Code, which we would prefer not to apply.

{{ payment_instructions }}

Kind regards,

{{ signature }}`,
  },
};

const t = (key: keyof typeof FR): Required<StepTemplates> => ({ fr: FR[key], en: EN[key] });

export const SHIPPED_POLICIES: ShippedPolicy[] = [
  {
    key: "standard",
    name: "Standard",
    description:
      "Relance standard : rappel J−5, relances J+1, J+8, J+15 (pénalités), mise en demeure J+30 (e-mail + courrier), appel J+45.",
    isDefault: true,
    minOutstanding: 500,
    steps: [
      { name: "Rappel avant échéance", offsetDays: -5, channel: "email", templates: t("courtesy") },
      { name: "Première relance", offsetDays: 1, channel: "email", templates: t("first") },
      { name: "Deuxième relance", offsetDays: 8, channel: "email", templates: t("second") },
      { name: "Relance ferme", offsetDays: 15, channel: "email", includePenalties: true, templates: t("firm") },
      {
        name: "Mise en demeure (e-mail)",
        offsetDays: 30,
        channel: "email",
        includePenalties: true,
        attachLetter: true,
        templates: t("noticeEmail"),
      },
      { name: "Mise en demeure (courrier)", offsetDays: 30, channel: "letter", includePenalties: true, templates: t("noticeLetter") },
      { name: "Appel", offsetDays: 45, channel: "call", templates: t("call") },
    ],
  },
  {
    key: "gentle",
    name: "Gentle",
    description: "Comptes clés : rappels courtois J+3 et J+15, appel du chargé de compte J+30, relance ferme J+45 soumise à validation.",
    isDefault: false,
    minOutstanding: 500,
    steps: [
      { name: "Petit rappel", offsetDays: 3, channel: "email", templates: t("gentleFirst") },
      { name: "Suivi de règlement", offsetDays: 15, channel: "email", templates: t("gentleSecond") },
      { name: "Appel du chargé de compte", offsetDays: 30, channel: "call", templates: t("gentleCall") },
      {
        name: "Relance ferme (validée)",
        offsetDays: 45,
        channel: "email",
        requireApproval: true,
        attachStatement: true,
        templates: t("gentleFirm"),
      },
    ],
  },
];
