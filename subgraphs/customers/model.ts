import { Schema, type Connection, type Model } from 'mongoose';

export interface CustomerDoc {
  _id: string;
  email: string;
  name: string;
  role: 'CUSTOMER' | 'ADMIN';
  createdAt: Date;
  updatedAt: Date;
}

const customerSchema = new Schema<CustomerDoc>(
  {
    _id: { type: String, required: true },
    // Stored lower-cased, so the unique index makes email unique case-insensitively.
    email: { type: String, required: true, lowercase: true, trim: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['CUSTOMER', 'ADMIN'], default: 'CUSTOMER' },
  },
  { timestamps: true, versionKey: false },
);
customerSchema.index({ email: 1 }, { unique: true });

export function customerModel(conn: Connection): Model<CustomerDoc> {
  return conn.models.Customer ?? conn.model<CustomerDoc>('Customer', customerSchema);
}
