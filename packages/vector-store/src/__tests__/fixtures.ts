import knexFactory, { type Knex } from 'knex';
import { createEmptyMetadata, type Category, type DocumentMetadata } from '@autod/core';
import type { IndexDocument } from '../vector-index.js';

export interface FixtureDoc {
  id: number;
  title: string;
  category: Category;
  docType: string;
  issuer: string;
  date: string;
  amount: number | null;
  text: string;
}

/** A small corpus with known answers. */
export const CORPUS: FixtureDoc[] = [
  {
    id: 1,
    title: 'Water bill March 2024',
    category: 'Financial & Administrative',
    docType: 'water bill',
    issuer: 'Springfield Water Utility',
    date: '2024-03-14',
    amount: 48.2,
    text: 'Springfield Water Utility. Statement for water service, March 2024. Meter reading 10452 gallons. Water usage charge 31.20, sewer charge 17.00. Amount due 48.20 by April 5.',
  },
  {
    id: 2,
    title: 'Water bill January 2024',
    category: 'Financial & Administrative',
    docType: 'water bill',
    issuer: 'Springfield Water Utility',
    date: '2024-01-12',
    amount: 44.75,
    text: 'Springfield Water Utility. Statement for water service, January 2024. Meter reading 9980 gallons. Water usage charge 28.75, sewer charge 16.00. Amount due 44.75 by February 5.',
  },
  {
    id: 3,
    title: 'Electricity bill March 2024',
    category: 'Financial & Administrative',
    docType: 'electricity bill',
    issuer: 'Acme Power & Light',
    date: '2024-03-02',
    amount: 120.55,
    text: 'Acme Power & Light electricity statement. Billing period February to March 2024. 812 kWh used. Energy charge 98.10, delivery 22.45. Total amount due 120.55.',
  },
  {
    id: 4,
    title: 'Form 1040 tax return 2023',
    category: 'Financial & Administrative',
    docType: 'tax return',
    issuer: 'Internal Revenue Service',
    date: '2024-04-10',
    amount: 1320,
    text: 'Internal Revenue Service Form 1040 U.S. Individual Income Tax Return for the year 2023. Adjusted gross income, standard deduction, refund due 1320.00 by direct deposit.',
  },
  {
    id: 5,
    title: 'Blood test results',
    category: 'Personal & Family',
    docType: 'lab report',
    issuer: 'City Hospital Laboratory',
    date: '2024-02-20',
    amount: null,
    text: 'City Hospital Laboratory report. Complete blood count and cholesterol panel. LDL cholesterol 130 mg/dL slightly elevated, hemoglobin normal. Physician review recommended.',
  },
  {
    id: 6,
    title: 'Car insurance renewal',
    category: 'Legal & Government',
    docType: 'insurance policy',
    issuer: 'Safe Drive Insurance',
    date: '2024-06-01',
    amount: 640,
    text: 'Safe Drive Insurance auto policy renewal. Vehicle Toyota Corolla. Coverage liability and collision, deductible 500. Annual premium 640.00 payable by June 30.',
  },
  {
    id: 7,
    title: 'Apartment lease agreement',
    category: 'Legal & Government',
    docType: 'lease',
    issuer: 'Oak Street Properties',
    date: '2023-09-01',
    amount: 1850,
    text: 'Residential lease agreement between Oak Street Properties and the tenant for apartment 4B. Monthly rent 1850.00, security deposit, twelve month term starting September 2023.',
  },
  {
    id: 8,
    title: 'Internet service invoice',
    category: 'Financial & Administrative',
    docType: 'invoice',
    issuer: 'FiberNet Communications',
    date: '2024-03-20',
    amount: 65,
    text: 'FiberNet Communications invoice for broadband internet service, March 2024. Fiber 500 Mbps plan 60.00, modem rental 5.00. Amount due 65.00.',
  },
  {
    id: 9,
    title: 'School report card',
    category: 'Personal & Family',
    docType: 'report card',
    issuer: 'Lincoln Elementary School',
    date: '2024-01-25',
    amount: null,
    text: 'Lincoln Elementary School report card, second quarter. Reading excellent, mathematics good, science very good. Teacher comments: a pleasure to have in class.',
  },
  {
    id: 10,
    title: 'Dental cleaning receipt',
    category: 'Personal & Family',
    docType: 'receipt',
    issuer: 'Bright Smile Dental',
    date: '2024-03-08',
    amount: 95,
    text: 'Bright Smile Dental receipt. Routine dental cleaning and x-ray, patient copay 95.00 paid by card. Next appointment in six months.',
  },
];

export function metadataFor(d: FixtureDoc): DocumentMetadata {
  const m = createEmptyMetadata({
    processedDate: '2024-07-01T00:00:00Z',
    originalFileName: `${d.title}.pdf`,
    sourceFileId: `doc-${d.id}`,
  });
  return {
    ...m,
    title: d.title,
    category: d.category,
    doc_type: d.docType,
    issuer: d.issuer,
    primary_date: d.date,
    summary: d.text.slice(0, 80),
    extracted_fields: { ...m.extracted_fields, amount_due: d.amount },
  };
}

export function sha(id: number, salt = ''): string {
  return (id.toString(16) + salt).padStart(64, '0').slice(-64);
}

export function toIndexDoc(d: FixtureDoc): IndexDocument {
  return { id: d.id, sha256: sha(d.id), metadata: metadataFor(d), text: d.text };
}

/** An in-memory SQLite knex on better-sqlite3 with one connection (like the app's). */
export function memoryKnex(filename = ':memory:'): Knex {
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
}
