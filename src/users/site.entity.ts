import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The install's site name and dashboard domain (Django's django_site), set by the first-run form. */
@Entity({ name: 'sites' })
export class Site {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 50 })
  name!: string;

  @Column({ type: 'varchar', length: 100 })
  domain!: string;
}
