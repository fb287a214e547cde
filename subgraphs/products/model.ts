import { Schema, type Connection, type Model } from 'mongoose';

export interface ProductDoc {
  _id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  active: boolean;
  onHand: number;
  reserved: number;
  createdAt: Date;
  updatedAt: Date;
}

const productSchema = new Schema<ProductDoc>(
  {
    _id: { type: String, required: true },
    sku: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: '' },
    priceCents: { type: Number, required: true, min: 0 },
    currency: { type: String, required: true },
    active: { type: Boolean, default: true },
    // Stock invariants (0 <= reserved <= onHand) are kept by conditional updates, never read-then-write.
    onHand: { type: Number, default: 0, min: 0 },
    reserved: { type: Number, default: 0, min: 0 },
  },
  { timestamps: true, versionKey: false },
);
productSchema.index({ sku: 1 }, { unique: true });

export function productModel(conn: Connection): Model<ProductDoc> {
  return conn.models.Product ?? conn.model<ProductDoc>('Product', productSchema);
}
