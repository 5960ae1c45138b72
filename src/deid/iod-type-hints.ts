/**
 * The strongest Attribute Type (PS3.5 §7.4) that each attribute with a combined action code of
 * Table E.1-1 (X/Z, X/D, Z/D, X/Z/D, X/Z/U*) has in any standard IOD of PS3.3 (2024e), counting
 * conditional types (1C, 2C) as their base type. PS3.15 E.1.1 resolves a combined code by the type
 * the attribute has in the IOD ("X unless Z or D is required to maintain IOD conformance"); a
 * de-identifier that does not carry every IOD's module tables must pick one action per attribute,
 * and we pick the one that keeps *every* IOD conformant: the action for the strongest type. The
 * cost is a dummy or empty value in IODs where the attribute could have gone, which carries no
 * information about the patient.
 *
 * This table is hand-maintained domain knowledge (it is not in Table E.1-1); a unit test fails when
 * a combined code of the generated profile has no entry here, so a new edition forces a decision.
 * Sources: PS3.3 module tables, e.g. Series Date/Time are Type 1 in the PET Series (C.8.9.1) and
 * Enhanced RT Series (C.36.3) Modules, Referenced Performed Procedure Step Sequence 1C in the Enhanced
 * PET Series Module (C.8.22.1), Content Date/Time Type 1 in the Multi-frame Functional Groups and SR
 * Document General Modules, Device Serial Number Type 1 in the Enhanced General Equipment Module.
 */
export type AttributeType = 1 | 2 | 3;

export const strongestIodType: ReadonlyMap<string, AttributeType> = new Map<string, AttributeType>([
  ['00400555', 2], // Acquisition Context Sequence — Acquisition Context Module, Type 2
  ['00080022', 3], // Acquisition Date — General Image, Type 3
  ['0008002A', 1], // Acquisition DateTime — Enhanced MR/CT/XA Image Modules, 1C
  ['00181400', 3], // Acquisition Device Processing Description — DX/CR Image, Type 3
  ['00080032', 3], // Acquisition Time — General Image, Type 3
  ['22000005', 3], // Barcode Value — Media Creation Management, Type 3
  ['00700084', 2], // Content Creator's Name — Content Identification Macro, Type 2
  ['00080023', 1], // Content Date — SR Document General / Multi-frame Functional Groups, Type 1
  ['00080033', 1], // Content Time — idem
  ['00180010', 2], // Contrast/Bolus Agent — Contrast/Bolus Module, Type 2
  ['0018700C', 3], // Date of Last Detector Calibration — DX Detector, Type 3
  ['0018700A', 3], // Detector ID — DX Detector, Type 3
  ['00181000', 1], // Device Serial Number — Enhanced General Equipment, Type 1
  ['00189517', 1], // End Acquisition DateTime — Enhanced PET Acquisition / X-Ray 3D Acquisition, 1C
  ['30080054', 2], // First Treatment Date — RT Treatment Summary Record, Type 2
  ['00080012', 3], // Instance Creation Date — SOP Common, Type 3
  ['00080013', 3], // Instance Creation Time — SOP Common, Type 3
  ['00080082', 3], // Institution Code Sequence — General Equipment, Type 3
  ['00080080', 3], // Institution Name — General Equipment, Type 3
  ['00189919', 2], // Instruction Performed DateTime — Type 2C
  ['3010004D', 3], // Intended Phase End Date — RT Physician Intent, Type 3
  ['3010004C', 3], // Intended Phase Start Date — idem
  ['22000002', 3], // Label Text — Media Creation Management, Type 3
  ['30080056', 2], // Most Recent Treatment Date — RT Treatment Summary Record, Type 2
  ['0040A032', 1], // Observation DateTime — SR content items, 1C
  ['00081072', 3], // Operator Identification Sequence — General Series, Type 3
  ['00081070', 3], // Operators' Name — General Series, Type 3
  ['00102203', 2], // Patient's Sex Neutered — Patient Module, 2C (animals)
  ['00100020', 2], // Patient ID — Patient Module, Type 2 (always a keyed pseudonym: DEID-4)
  ['00181030', 1], // Protocol Name — Enhanced Series / MR Series, 1C
  ['00081140', 1], // Referenced Image Sequence — 1C in several image modules
  ['00081111', 1], // Referenced Performed Procedure Step Sequence — Enhanced PET/RT Series, 1C
  ['00081110', 3], // Referenced Study Sequence — General Study, Type 3
  ['00321060', 3], // Requested Procedure Description — Request Attributes Macro, Type 3
  ['300E0008', 2], // Reviewer Name — Approval Module, 2C
  ['300A0006', 2], // RT Plan Date — RT General Plan, Type 2
  ['300A0007', 2], // RT Plan Time — idem
  ['30100056', 3], // RT Treatment Approach Label — Type 3
  ['00080021', 1], // Series Date — PET Series / Enhanced RT Series, Type 1
  ['00080031', 1], // Series Time — idem
  ['00082112', 1], // Source Image Sequence — derived enhanced images, 1C
  ['30080105', 2], // Source Serial Number — RT Brachy Treatment Record, Type 2
  ['00189516', 1], // Start Acquisition DateTime — as End Acquisition DateTime
  ['00081010', 3], // Station Name — General Equipment, Type 3
  ['0018700E', 3], // Time of Last Detector Calibration — DX Detector, Type 3
  ['30080250', 2], // Treatment Date — RT Treatment Session Record, Type 2
  ['300A00B2', 2], // Treatment Machine Name — RT Beams, Type 2
  ['30100077', 3], // Treatment Site — Type 3
  ['30080251', 2], // Treatment Time — RT Treatment Session Record, Type 2
]);
