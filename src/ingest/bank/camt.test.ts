import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AppError } from "../../errors.js";
import { readCamt } from "./camt.js";
import { readBankStatement } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);

/** A camt.053 of the given version around entries (XML fragments). */
function camt053(entries: string[], version = "02", account = "<IBAN>FR7630006000011234567890189</IBAN>"): Uint8Array {
  return enc(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2024-03-02T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2024-03-01</Id>
      <Acct><Id>${account}</Id></Acct>
      ${entries.join("\n")}
    </Stmt>
  </BkToCstmrStmt>
</Document>`);
}

function entry(o: {
  amt?: string;
  ccy?: string;
  cdi?: string;
  sts?: string;
  refs?: string;
  txs?: string;
  extra?: string;
  date?: string;
}): string {
  return `<Ntry>
    <Amt Ccy="${o.ccy ?? "EUR"}">${o.amt ?? "100.00"}</Amt>
    <CdtDbtInd>${o.cdi ?? "CRDT"}</CdtDbtInd>
    ${o.sts ?? "<Sts>BOOK</Sts>"}
    ${o.date ?? "<BookgDt><Dt>2024-03-01</Dt></BookgDt><ValDt><Dt>2024-03-02</Dt></ValDt>"}
    ${o.refs ?? ""}
    ${o.txs ? `<NtryDtls>${o.txs}</NtryDtls>` : ""}
    ${o.extra ?? ""}
  </Ntry>`;
}

const tx = (inner: string) => `<TxDtls>${inner}</TxDtls>`;

describe("camt reader", () => {
  it("reads a 5-decimal amount exactly and refuses one that would lose a cent", () => {
    const ok = readCamt(camt053([entry({ amt: "123.45000", refs: "<AcctSvcrRef>A1</AcctSvcrRef>" })]));
    expect(ok.payments[0]?.amount).toBe(12_345);
    const e = catchError(() => readCamt(camt053([entry({ amt: "1.00500" })])));
    expect(e.code).toBe("invalid_input");
    expect(e.problems[0]).toMatchObject({ line: 1, field: "Amt" });
    expect(e.problems[0]?.message).toContain("more than two decimals");
  });

  it("reads payer, IBAN, remittance and an RF creditor reference from the transaction details", () => {
    const r = readCamt(
      camt053([
        entry({
          refs: "<AcctSvcrRef>BANK-REF-1</AcctSvcrRef>",
          txs: tx(`<Refs><EndToEndId>E2E-1</EndToEndId></Refs>
            <RltdPties><Dbtr><Nm>Dupont  SARL</Nm></Dbtr><DbtrAcct><Id><IBAN>FR76 1010 7001 0100 1234 5678 943</IBAN></Id></DbtrAcct></RltdPties>
            <RmtInf><Ustrd>Facture FA-2024-0042</Ustrd><Ustrd>et FA-2024-0043</Ustrd>
              <Strd><RfrdDocInf><Nb>FA-2024-0044</Nb></RfrdDocInf><CdtrRefInf><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd></RmtInf>`),
        }),
      ]),
    );
    expect(r.payments).toEqual([
      {
        line: 1,
        date: "2024-03-01",
        amount: 10_000,
        currency: "EUR",
        bankTxId: "camt:FR7630006000011234567890189:BANK-REF-1",
        reference: "Facture FA-2024-0042 et FA-2024-0043 FA-2024-0044",
        structuredReference: "RF18 5390 0754 7034",
        payerName: "Dupont SARL",
        payerIban: "FR7610107001010012345678943",
        invoiceNumbers: ["FA-2024-0044"],
      },
    ]);
  });

  it("reads v8 parties (Dbtr/Pty/Nm), <Sts><Cd>, and the date part of a booking DtTm without shifting it", () => {
    const r = readCamt(
      camt053(
        [
          entry({
            sts: "<Sts><Cd>BOOK</Cd></Sts>",
            date: "<BookgDt><DtTm>2024-03-01T23:30:00.000000000-05:00</DtTm></BookgDt>",
            refs: "<NtryRef>17</NtryRef>",
            txs: tx("<RltdPties><Dbtr><Pty><Nm>Martin SAS</Nm></Pty></Dbtr></RltdPties>"),
          }),
        ],
        "08",
      ),
    );
    expect(r.payments[0]).toMatchObject({
      date: "2024-03-01",
      payerName: "Martin SAS",
      bankTxId: "camt:FR7630006000011234567890189:STMT-2024-03-01:17",
    });
  });

  it("skips debits, pending and information entries and reversals, counting them", () => {
    const r = readCamt(
      camt053([
        entry({ cdi: "DBIT" }),
        entry({ sts: "<Sts>PDNG</Sts>" }),
        entry({ sts: "<Sts><Cd>INFO</Cd></Sts>" }),
        entry({ extra: "", refs: "<AcctSvcrRef>R</AcctSvcrRef>", txs: "" }).replace(
          "<CdtDbtInd>CRDT</CdtDbtInd>",
          "<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>",
        ),
        entry({ amt: "0.00" }),
        entry({ refs: "<AcctSvcrRef>OK</AcctSvcrRef>" }),
      ]),
    );
    expect(r.stats).toEqual({ entries: 6, credits: 1, debits: 1, skipped: 4 });
    expect(r.payments.map((p) => p.bankTxId)).toEqual(["camt:FR7630006000011234567890189:OK"]);
    expect(r.warnings.join("\n")).toMatch(/PDNG[\s\S]*INFO[\s\S]*reversal[\s\S]*zero/);
  });

  it("splits a batch entry into one payment per transaction when their amounts add up", () => {
    const r = readCamt(
      camt053([
        entry({
          amt: "300.00",
          refs: "<AcctSvcrRef>BATCH-9</AcctSvcrRef>",
          txs: [
            tx(`<Refs><AcctSvcrRef>TX-A</AcctSvcrRef></Refs><Amt Ccy="EUR">100.00</Amt><RltdPties><Dbtr><Nm>A</Nm></Dbtr></RltdPties>`),
            tx(
              `<Refs><UETR>255AE394-9965-4438-AC86-F406FEADA396</UETR></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">150.00</Amt></TxAmt></AmtDtls>`,
            ),
            tx(`<Amt Ccy="EUR">50.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>third</Ustrd></RmtInf>`),
          ].join(""),
        }),
      ]),
    );
    expect(r.payments.map((p) => [p.amount, p.bankTxId, p.payerName, p.reference])).toEqual([
      [10_000, "camt:FR7630006000011234567890189:TX-A", "A", null],
      [15_000, "uetr:255ae394-9965-4438-ac86-f406feada396", null, null],
      [5_000, "camt:FR7630006000011234567890189:BATCH-9/3", null, "third"],
    ]);
    expect(r.stats).toMatchObject({ entries: 1, credits: 3 });
  });

  it("keeps a batch as one payment when its transaction amounts do not add up, with a warning", () => {
    const r = readCamt(
      camt053([
        entry({
          amt: "300.00",
          refs: "<AcctSvcrRef>BATCH-10</AcctSvcrRef>",
          txs: tx(`<Amt Ccy="EUR">100.00</Amt><RmtInf><Ustrd>one</Ustrd></RmtInf>`) + tx(`<RmtInf><Ustrd>two</Ustrd></RmtInf>`),
        }),
      ]),
    );
    expect(r.payments).toHaveLength(1);
    expect(r.payments[0]).toMatchObject({ amount: 30_000, reference: "one two", bankTxId: "camt:FR7630006000011234567890189:BATCH-10" });
    expect(r.warnings[0]).toContain("batch of 2 transactions");
  });

  it("falls back to AddtlNtryInf for the text and to the statement position for the key", () => {
    const r = readCamt(camt053([entry({ extra: "<AddtlNtryInf>VIREMENT DE DURAND</AddtlNtryInf>" }), entry({})]));
    expect(r.payments.map((p) => [p.reference, p.bankTxId])).toEqual([
      ["VIREMENT DE DURAND", "camt:FR7630006000011234567890189:STMT-2024-03-01:#1"],
      [null, "camt:FR7630006000011234567890189:STMT-2024-03-01:#2"],
    ]);
  });

  it("suffixes a bank reference repeated within the file instead of losing a payment", () => {
    const r = readCamt(camt053([entry({ refs: "<AcctSvcrRef>SAME</AcctSvcrRef>" }), entry({ refs: "<AcctSvcrRef>SAME</AcctSvcrRef>" })]));
    expect(r.payments.map((p) => p.bankTxId)).toEqual(["camt:FR7630006000011234567890189:SAME", "camt:FR7630006000011234567890189:SAME~2"]);
    expect(r.warnings[0]).toContain("more than once");
  });

  it("lists every invalid entry with its index", () => {
    const e = catchError(() => readCamt(camt053([entry({ cdi: "XXX" }), entry({ amt: "abc" }), entry({ date: "" })])));
    expect(e.problems.map((p) => [p.line, p.field])).toEqual([
      [1, "CdtDbtInd"],
      [2, "Amt"],
      [3, "BookgDt"],
    ]);
  });

  it("refuses a DTD with an external entity (XXE) and reads no file", () => {
    const dir = mkdtempSync(join(tmpdir(), "relance-xxe-"));
    const secret = join(dir, "secret.txt");
    writeFileSync(secret, "TOP-SECRET-MARKER");
    for (const target of ["file:///etc/passwd", `file://${secret}`]) {
      const xml = `<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "${target}">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>X</MsgId></GrpHdr>
<Stmt><Id>S</Id><Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-01</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>&xxe;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>`;
      const e = catchError(() => readBankStatement(enc(xml), "xxe.xml"));
      expect(e.code).toBe("invalid_input");
      expect(e.message).toContain("DTD");
      expect(JSON.stringify(e.problems)).not.toContain("TOP-SECRET-MARKER");
      expect(JSON.stringify(e.problems)).not.toContain("root:");
    }
  });

  it("rejects malformed XML with a clear error", () => {
    const e = catchError(() =>
      readCamt(enc('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt></Document>')),
    );
    expect(e.code).toBe("invalid_input");
    expect(e.message).toMatch(/malformed XML/);
  });
});

function catchError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}
