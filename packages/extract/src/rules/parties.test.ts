import { describe, expect, it } from 'vitest';
import { LineIndex } from '../text.js';
import { canonicalIssuer, cleanName, findParties, rejectName, repairName, repairOcrName } from './parties.js';

function parties(text: string) {
  return findParties(text, new LineIndex(text));
}

describe('issuer vs customer', () => {
  it('takes the party after "Bill to" as the customer, never as the issuer (en)', () => {
    const p = parties(
      [
        'Bill to:',
        'Harbour Foods Ltd',
        '4 Quay Street',
        '',
        'Northgate Printing Ltd',
        'VAT Reg No: GB 123 4567 89',
        'INVOICE 2024-77',
      ].join('\n'),
    );
    expect(p.customer?.name).toBe('Harbour Foods Ltd');
    expect(p.issuer?.name).toBe('Northgate Printing Ltd');
  });

  it('reads seller and buyer labels (de): Verkäufer, Käufer/Leistungsempfänger', () => {
    const p = parties(
      [
        'Verkäufer:',
        'Globale Nummer: 4000001123452 (GTIN)',
        'Beispiel Handels GmbH',
        'Musterweg 1',
        'Käufer/Leistungsempfänger:',
        'Nummer   : K-2207',
        'Kunde Eins AG',
        'Kundenallee 9',
      ].join('\n'),
    );
    expect(p.issuer?.name).toBe('Beispiel Handels GmbH');
    expect(p.issuer?.rule).toBe('after a seller label');
    expect(p.customer?.name).toBe('Kunde Eins AG');
  });

  it('reads klant, client, cliente, Rechnungsempfänger inline and below', () => {
    expect(parties('Klant:\nFamilie Visser\nDorpsstraat 4\n\nBakkerij Zoet B.V.').customer?.name).toBe(
      'Familie Visser',
    );
    expect(parties('Facturé à : Garage Moreau\nAtelier Bleu SARL').customer?.name).toBe('Garage Moreau');
    expect(parties('Cliente: Hotel Sol, Lda.\nSousa & Filhos, Lda.').customer?.name).toBe('Hotel Sol, Lda.');
    const first = parties(
      'Rechnungsempfänger:\nKanzlei Brenner & Vogt\nKönigsallee 60\n\nRechnungssteller:\nIT-Service Hoffmann e.K.',
    );
    expect(first.customer?.name).toBe('Kanzlei Brenner & Vogt');
    expect(first.issuer?.name).toBe('IT-Service Hoffmann e.K.');
  });

  it('finds the recipient of a letter by its courtesy title and address lines', () => {
    const p = parties(
      ['Stadtwerke Nord AG', 'Postfach 1120', '', 'Frau Elke Brandt', 'Mühlweg 7', '77866 Rheinau'].join('\n'),
    );
    expect(p.customer?.name).toBe('Elke Brandt');
    expect(p.issuer?.name).toBe('Stadtwerke Nord AG');
    const it2 = parties(
      ['Tipografia Bassi S.r.l.', 'Spett.le', 'Studio Ferri', 'Via Roma 10', '40121 Bologna'].join('\n'),
    );
    expect(it2.customer?.name).toBe('Studio Ferri');
  });

  it('does not mistake a company called "MR. D.I.Y." for a Mr', () => {
    const p = parties(['MR. D.I.Y. (M) SDN BHD', 'LOT 1851, JALAN KPB 6', '43300 SERI KEMBANGAN'].join('\n'));
    expect(p.customer).toBeUndefined();
    expect(p.issuer?.name).toBe('MR. D.I.Y. (M) SDN BHD');
  });
});

describe('the letterhead', () => {
  it('skips a lower-case stamp or handwriting line above the company', () => {
    const p = parties(
      ['lim mei ling', 'GOLDEN LEAF STATIONERY', '12, JALAN BESAR, 45600 BATANG', 'TEL: 03-3271 9872'].join('\n'),
    );
    expect(p.issuer?.name).toBe('GOLDEN LEAF STATIONERY');
  });

  it('rejects table headers, document titles, addresses and labels with values', () => {
    expect(rejectName('Hotel Details Check In Check Out Rooms')).toBe('table header');
    expect(rejectName('SIMPLIFIED TAX INVOICE')).toBe('document title');
    expect(rejectName('Thank you for shopping with us!')).toBe('sentence');
    const p = parties(
      ['Customer service hours: Mon-Fri 8am-6pm', 'Northwind Traders', '8328 Market Square'].join('\n'),
    );
    expect(p.issuer?.name).toBe('Northwind Traders');
  });

  it('keeps a sender line with an address and many digits, taking its name part', () => {
    expect(cleanName('Schreinerei Albrecht GmbH · Talstraße 9 · 79102 Freiburg')).toBe('Schreinerei Albrecht GmbH');
    const p = parties(
      [
        'Schreinerei Albrecht GmbH · Talstraße 9 · 79102 Freiburg',
        '',
        'Herrn',
        'Jonas Weidmann',
        'Kirchweg 3',
        '79249 Merzhausen',
      ].join('\n'),
    );
    expect(p.issuer?.name).toBe('Schreinerei Albrecht GmbH');
    expect(p.customer?.name).toBe('Jonas Weidmann');
  });

  it('prefers the legal entity with its registration number to a brand line', () => {
    const p = parties(['Sunny Bakes', 'FRESH OVEN FOODS SDN BHD (712334-W)', 'LOT 21, JALAN INDUSTRI 3'].join('\n'));
    expect(p.issuer?.name).toBe('FRESH OVEN FOODS SDN BHD');
  });

  it('joins a name broken over two lines', () => {
    expect(
      parties(['POPULAR PAGES', 'CO. (M) SDN BHD', '(Company No. 113825)', 'JALAN KLANG'].join('\n')).issuer?.name,
    ).toBe('POPULAR PAGES CO. (M) SDN BHD');
  });

  it("prefers the name the document's own web address or social handle spells out", () => {
    const lines = ['HARBOUR BOOK STORE', '12 Quay Road, Kelburn', 'Operated by', 'TIDE RETAIL LIMITED', 'Receipt 3391'];
    const without = parties(lines.join('\n'));
    expect(without.issuer?.name).toBe('TIDE RETAIL LIMITED');
    const withHandle = parties([...lines, 'Instagram: @harbourbookstore'].join('\n'));
    expect(withHandle.issuer?.name).toBe('HARBOUR BOOK STORE');
    expect(parties([...lines, 'Follow us in Facebook: Harbour.Book.Store'].join('\n')).issuer?.name).toBe(
      'HARBOUR BOOK STORE',
    );
  });

  it('takes the company after "Owned by:" when it is a legal entity', () => {
    const p = parties(['I ve Wee ee', 'OLD ASIA', '| OWN BY: CHEF LIM SDN BHD', '| CO. NO. (458592-T)'].join('\n'));
    expect(p.issuer?.name).toBe('CHEF LIM SDN BHD');
  });
});

describe('names', () => {
  it('repairs OCR in legal forms and abbreviations', () => {
    expect(repairName('SINAR JAYA SON BHO')).toBe('SINAR JAYA SDN BHD');
    expect(repairName('MR. D.1.Y. (M) 3DN BHD')).toBe('MR. D.I.Y. (M) SDN BHD');
    expect(repairName('| KEDAI PAPAN YEW CHUAN')).toBe('KEDAI PAPAN YEW CHUAN');
  });

  it('drops legal forms for the canonical name and keeps abbreviations', () => {
    expect(canonicalIssuer('MR. D.I.Y. (M) SDN BHD')).toBe('MR. D.I.Y. (M)');
    expect(canonicalIssuer('Lieferant GmbH')).toBe('Lieferant');
    expect(canonicalIssuer('Tipografia Moretti S.r.l.')).toBe('Tipografia Moretti');
  });
});

describe('letterheads under OCR damage', () => {
  it('reads a name whose bracket OCR turned into a brace, without the address below', () => {
    const p = parties(
      ['KEDAI MAJU (TAMAN JAYA} SDN BHD', 'LOT 12-A, JALAN INDAH 3,', '43300 SERI KEMBANGAN', 'RECEIPT'].join('\n'),
    );
    expect(p.issuer?.name).toBe('KEDAI MAJU (TAMAN JAYA} SDN BHD');
  });

  it('never takes a bracketed company-number line for the name', () => {
    const p = parties(['GOLDEN LEAF BOOK', '(Co. No. 11234 - X)', 'No 8, Jalan Damai 2', 'TAX INVOICE'].join('\n'));
    expect(p.issuer?.name).not.toMatch(/Co\. No/);
  });

  it('drops a lower-case OCR scrap before a name but keeps name particles', () => {
    expect(repairName('ol Cash & Carry Sdn. Bhd.')).toBe('Cash & Carry SDN. BHD.');
    expect(repairName('de Vries Bouw B.V.')).toBe('de Vries Bouw B.V.');
    expect(repairName('van Dijk Transport')).toBe('van Dijk Transport');
  });

  it('reads an OCR\'d "SDN 3HD" as SDN BHD', () => {
    expect(repairName('MEGA HARDWARE SDN 3HD')).toBe('MEGA HARDWARE SDN BHD');
  });

  it('does not take a short line ending in a legal form for a sentence', () => {
    expect(rejectName('We Care Pharmacy Sdn. Bhd.')).toBeUndefined();
    expect(rejectName('We thank you for shopping with us today.')).toBe('sentence');
  });
});

describe('footer text and thank-you lines', () => {
  it('never takes a fragment of the courtesy or returns policy text for the name', () => {
    expect(rejectName('PLS VISIT US AGAIN')).toBe('sentence');
    expect(rejectName('Returnable Or Exchangeable')).toBe('sentence');
    const p = parties(
      ['Xy PLEASE COME AGAIN Qz', 'GREEN VALLEY CASH & CARRY', 'LOT 5, JALAN MAWAR 2', 'RECEIPT'].join('\n'),
    );
    expect(p.issuer?.name).toBe('GREEN VALLEY CASH & CARRY');
  });

  it('takes the full letterhead name a thank-you line confirms by its start', () => {
    const p = parties(
      [
        'Qx',
        'Sunoco Bayview 3',
        '12 Harbour Road',
        'PUMP 4   UNLEADED',
        'TOTAL   40.00',
        'Thank you for shopping at Sunocomart',
      ].join('\n'),
    );
    expect(p.issuer?.name).toBe('Sunoco Bayview 3');
  });
});

describe('OCR damage in the issuer name', () => {
  it('reads a country in brackets with a letter or two wrong', () => {
    expect(repairOcrName('NORTHWIND (SINGAPQRE) PTE', '')).toBe('NORTHWIND (SINGAPORE) PTE');
    expect(repairOcrName('Bäckerei Kranz (Osterreicb)', '')).toBe('Bäckerei Kranz (Österreich)');
    // A word in brackets that is no country stays.
    expect(repairOcrName('HARBOUR GRILL (TAMPINES)', '')).toBe('HARBOUR GRILL (TAMPINES)');
  });

  it('takes the spelling the document prints more often, one letter away', () => {
    const text = [
      'KAMPAI NOODLE HOUSE',
      'Lot 4, Kampong Baru',
      'Thank you for dining at',
      'KAMPAL NOODLE HOUSE',
      'kampal.noodle@mail.example',
    ].join('\n');
    expect(repairOcrName('KAMPAI NOODLE HOUSE', text)).toBe('KAMPAL NOODLE HOUSE');
    // A short word only where the other spelling stands next to another word of the name.
    expect(
      repairOcrName('SUFER SEVEN MART', 'SUFER SEVEN MART\nThank you, SUPER SEVEN\nsuper.seven@mail.example'),
    ).toBe('SUPER SEVEN MART');
    expect(repairOcrName('MAJU JAYA', 'MAJU JAYA\nJalan Raya 4\nTaman Raya')).toBe('MAJU JAYA');
    // A spelling printed once against another printed once: no way to tell, it stays.
    expect(repairOcrName('Brenner Optik', 'Brenner Optik\nBrennar Strasse 4')).toBe('Brenner Optik');
  });

  it('counts a word printed inside the other spelling as a print of it', () => {
    // "uTRAVEL" is printed once, like the name's "uTRAXVEL", but "Travel" on its own backs it.
    const text = ['uTRAXVEL.net SDN BHD', '3 Jalan Travel Hub, Level 2', 'RECEIPT (uTRAVEL)'].join('\n');
    expect(repairOcrName('uTRAXVEL.net SDN BHD', text)).toBe('utravel.net SDN BHD');
    // A shorter word the name's spelling contains too backs neither.
    const plain = ['Brenner Optik', 'Brennar Strasse 4', 'Optik Brennerei'].join('\n');
    expect(repairOcrName('Brenner Optik', plain)).toBe('Brenner Optik');
  });

  it('reads a "q" between vowels as a "g"', () => {
    expect(repairOcrName('Laqos Trading', '')).toBe('Lagos Trading');
    expect(repairOcrName('Aqua Pure', '')).toBe('Aqua Pure');
  });

  it('applies the repairs to OCR text only', () => {
    const text = ['NORTHWIND (SINGAPQRE) PTE LTD', '12 Harbour Road', 'GST Reg No: 201912345K'].join('\n');
    expect(findParties(text, new LineIndex(text), { ocr: true }).issuer?.name).toBe('NORTHWIND (SINGAPORE) PTE LTD');
    expect(findParties(text, new LineIndex(text)).issuer?.name).toBe('NORTHWIND (SINGAPQRE) PTE LTD');
  });
});
