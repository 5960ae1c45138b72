/**
 * dcmjs-dimse is a CommonJS (UMD) bundle: Node exposes its API only as the default export, so the
 * names are taken from it here, once, with the package's own types.
 */
import dimse from 'dcmjs-dimse';

export const { Scp, Dataset, constants, responses, log: dimseLog, Implementation } = dimse;
export type { association as Negotiation, requests as DimseRequests } from 'dcmjs-dimse';
