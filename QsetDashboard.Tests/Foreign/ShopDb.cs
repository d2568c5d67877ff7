using Microsoft.EntityFrameworkCore;

namespace QsetDashboard.Tests.Foreign;

/// <summary>A context the cache was not written for: Guid, string and composite keys, an owned type, its own <c>User</c>.</summary>
public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Product> Products => Set<Product>();

    public DbSet<OrderLine> OrderLines => Set<OrderLine>();

    public DbSet<Coupon> Coupons => Set<Coupon>();

    public DbSet<Customer> Customers => Set<Customer>();

    public DbSet<Accounts.User> Users => Set<Accounts.User>();

    public DbSet<Pet> Pets => Set<Pet>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OrderLine>().HasKey(l => new { l.OrderId, l.LineNo });
        modelBuilder.Entity<Coupon>().HasKey(c => c.Code);
        modelBuilder.Entity<Customer>().OwnsOne(c => c.Address);
        modelBuilder.Entity<Dog>().HasBaseType<Pet>();
    }
}

public sealed class Product
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public decimal Price { get; set; }
}

public sealed class OrderLine
{
    public int OrderId { get; set; }

    public int LineNo { get; set; }

    public int Quantity { get; set; }
}

public sealed class Coupon
{
    public required string Code { get; set; }

    public int Percent { get; set; }
}

public sealed class Customer
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required Address Address { get; set; }
}

public sealed class Address
{
    public required string City { get; set; }
}

public class Pet
{
    public int Id { get; set; }

    public required string Name { get; set; }
}

public sealed class Dog : Pet
{
    public bool Fetches { get; set; }
}
