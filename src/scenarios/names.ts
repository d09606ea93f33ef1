/**
 * A seeded name generator: realistic, varied user names without a dependency. The lists mix the countries the
 * background users work from (see world.ts), so names and locations look plausible together.
 */
import type { Rng } from './rng';

const FIRST = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'Michael',
  'Jennifer',
  'David',
  'Linda',
  'William',
  'Elizabeth',
  'Daniel',
  'Sarah',
  'Matthew',
  'Jessica',
  'Anthony',
  'Karen',
  'Mark',
  'Emily',
  'Steven',
  'Ashley',
  'Oliver',
  'Amelia',
  'Harry',
  'Isla',
  'George',
  'Ava',
  'Noah',
  'Mia',
  'Jack',
  'Grace',
  'Lukas',
  'Hannah',
  'Felix',
  'Lea',
  'Jonas',
  'Lena',
  'Maximilian',
  'Anna',
  'Paul',
  'Marie',
  'João',
  'Beatriz',
  'Tiago',
  'Inês',
  'Rui',
  'Mariana',
  'Pedro',
  'Catarina',
  'Wei',
  'Mei',
  'Jun',
  'Hui',
  'Arjun',
  'Priya',
  'Ravi',
  'Ananya',
  'Kenji',
  'Yuki',
  'Sofia',
  'Mateo',
  'Lucía',
  'Diego',
  'Chloé',
  'Hugo',
  'Camille',
  'Louis',
  'Aisha',
  'Omar',
];

const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Wilson',
  'Anderson',
  'Taylor',
  'Thomas',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Thompson',
  'White',
  'Evans',
  'Walker',
  'Wright',
  'Robinson',
  'Hughes',
  'Edwards',
  'Green',
  'Hall',
  'Wood',
  'Clarke',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Hoffmann',
  'Koch',
  'Silva',
  'Santos',
  'Ferreira',
  'Pereira',
  'Oliveira',
  'Costa',
  'Rodrigues',
  'Almeida',
  'Tan',
  'Lim',
  'Ng',
  'Wong',
  'Chen',
  'Kumar',
  'Sharma',
  'Patel',
  'Nair',
  'Tanaka',
  'Dubois',
  'Lefebvre',
  'Moreau',
  'Laurent',
  'Fernández',
  'López',
  'Haddad',
  'Khan',
  'Novak',
  'Kowalski',
];

export interface PersonName {
  readonly displayName: string;
  /** `first.last`, ASCII, lower case, unique within the generator. */
  readonly username: string;
}

/** ASCII-fold for user names (`Müller` → `muller`, `João` → `joao`). */
function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

export class NameGenerator {
  private readonly taken = new Set<string>();

  constructor(
    private readonly rng: Rng,
    reserved: readonly string[] = [],
  ) {
    for (const r of reserved) this.taken.add(r);
  }

  next(): PersonName {
    const first = this.rng.pick(FIRST);
    const last = this.rng.pick(LAST);
    const base = `${fold(first)}.${fold(last)}`;
    let username = base;
    for (let n = 2; this.taken.has(username); n++) username = `${base}${n}`;
    this.taken.add(username);
    return { displayName: `${first} ${last}`, username };
  }
}
